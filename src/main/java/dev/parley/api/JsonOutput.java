package dev.parley.api;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.jackson.ObjectMapperCustomizer;

/**
 * The one JSON mapper configuration. Characters outside the Basic Multilingual Plane (emoji, many CJK ideographs) are
 * written as UTF-8, not as escaped surrogate pairs ({@code \uD83D\uDE80}), which is what Jackson does by default:
 * both are valid JSON, but the escapes break naive clients and double the size of emoji-heavy replies.
 */
@Singleton
public class JsonOutput implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.getFactory().enable(JsonGenerator.Feature.COMBINE_UNICODE_SURROGATES_IN_UTF8);
    }
}
