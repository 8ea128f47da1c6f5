package dev.parley.provider;

import static dev.parley.testing.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.parley.testing.FakeUpstream;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.vertx.core.Vertx;

/**
 * An operator upstream serves what it is configured to: the listed models; without a list, the models it reports
 * on its own {@code GET /models} (never any name); any name only with an explicit {@code *}.
 */
class OperatorUpstreamModelsTest {

    Vertx vertx;
    Providers providers;

    @BeforeEach
    void reset() {
        FakeUpstream.reset();
        vertx = Vertx.vertx();
    }

    @AfterEach
    void close() {
        if (providers != null) {
            providers.close();
        }
        vertx.close();
        FakeUpstream.reset();
    }

    Providers providers(String models) {
        Map<String, String> props = new HashMap<>();
        props.put("parley.upstream.1.url", FakeUpstream.TENANT.baseUrl());
        props.put("parley.upstream.1.api-key", "operator-key-1234");
        if (models != null) {
            props.put("parley.upstream.1.models", models);
        }
        ProviderSettings settings = new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(props, "test", 100))
                .withConverter(Duration.class, 200, new DurationConverter())
                .withMapping(ProviderSettings.class).build().getConfigMapping(ProviderSettings.class);
        providers = new Providers(vertx, settings);
        return providers;
    }

    @Test
    void anUpstreamWithoutAModelListServesWhatItReportsAndNothingElse() {
        FakeUpstream.TENANT.reportedModels = List.of("gpt-4o-mini", "gpt-4o");
        Providers p = providers(null);
        assertThat(p.serves("gpt-4o-mini")).as("before it has answered, it serves nothing").isFalse();
        result(p.refreshModels());
        assertThat(p.serves("gpt-4o-mini")).isTrue();
        assertThat(p.serves("o1-pro-most-expensive")).isFalse();
        assertThat(p.models()).containsExactly("gpt-4o-mini", "gpt-4o");
        // a later refresh follows the upstream; a failed one keeps what it knew
        FakeUpstream.TENANT.reportedModels = List.of("gpt-4o");
        result(p.refreshModels());
        assertThat(p.serves("gpt-4o-mini")).isFalse();
        FakeUpstream.TENANT.modelsFailStatus = 503;
        result(p.refreshModels());
        assertThat(p.models()).containsExactly("gpt-4o");
    }

    @Test
    void aModelListIsServedExactlyAndNeverAskedFor() {
        Providers p = providers("a,b");
        result(p.refreshModels());
        assertThat(p.models()).containsExactly("a", "b");
        assertThat(p.serves("c")).isFalse();
    }

    @Test
    void onlyAnExplicitStarTakesAnyName() {
        Providers p = providers("*");
        assertThat(p.serves("anything-at-all")).isTrue();
        assertThat(p.models()).isEmpty();
    }

    @Test
    void theListIsAskedForWithTheOperatorsKey() {
        FakeUpstream.TENANT.reportedModels = List.of("m");
        FakeUpstream.TENANT.requiredKey = "someone-elses-key";
        Providers p = providers(null);
        result(p.refreshModels());
        assertThat(p.serves("m")).as("refused without the right key: serves nothing").isFalse();
        FakeUpstream.TENANT.requiredKey = "operator-key-1234";
        result(p.refreshModels());
        assertThat(p.serves("m")).isTrue();
    }
}
