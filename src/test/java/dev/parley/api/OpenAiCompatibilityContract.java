package dev.parley.api;

import static dev.parley.testing.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.models.Model;

import dev.parley.auth.Tenants;
import dev.parley.store.Message;
import dev.parley.store.MessageStore;
import dev.parley.testing.FakeUpstream;
import io.restassured.RestAssured;

/**
 * Parley's {@code /v1} API driven by the official OpenAI Java library, streaming and not: an existing OpenAI client
 * works by changing its base URL to Parley and its key to a Parley key. Run on SQLite and PostgreSQL.
 */
public abstract class OpenAiCompatibilityContract {

    @Inject
    Tenants tenants;

    @Inject
    MessageStore messages;

    @Inject
    dev.parley.store.ConversationStore conversations;

    OpenAIClient client;
    UUID tenantId;
    String key;

    @BeforeEach
    void connect() {
        FakeUpstream.reset();
        Tenants.NewTenant t = result(tenants.createTenant("openai-" + UUID.randomUUID(), Tenants.TENANT_SCOPES));
        tenantId = t.tenant().id();
        key = t.plaintextKey();
        client = OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + RestAssured.port + "/v1").apiKey(key)
                .maxRetries(0).build();
    }

    @AfterEach
    void close() {
        client.close();
    }

    private static ChatCompletionCreateParams.Builder ask(String question) {
        return ChatCompletionCreateParams.builder().model(FakeUpstream.MODEL)
                .addSystemMessage("You are terse.").addUserMessage(question);
    }

    List<Message> stored(String conversationId) {
        return result(messages.list(tenantId, UUID.fromString(conversationId), null, 100)).items();
    }

    @Test
    void modelsAreListed() {
        List<String> ids = client.models().list().data().stream().map(Model::id).toList();
        assertThat(ids).contains(FakeUpstream.MODEL, "demo");
    }

    @Test
    void nonStreamingCompletionIsAnsweredAndStoredInANewConversation() {
        HttpResponseFor<ChatCompletion> raw = client.chat().completions().withRawResponse()
                .create(ask("Say hi").build());
        ChatCompletion completion = raw.parse();
        assertThat(completion.choices()).hasSize(1);
        assertThat(completion.choices().get(0).message().content()).hasValue(FakeUpstream.expectedText(5));
        assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
        CompletionUsage usage = completion.usage().orElseThrow();
        assertThat(usage.promptTokens()).isEqualTo(11);
        assertThat(usage.completionTokens()).isEqualTo(5);

        String conversation = raw.headers().values(OpenAiResource.CONVERSATION_HEADER).get(0);
        assertThat(stored(conversation)).extracting(Message::role, Message::content).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Message.Role.SYSTEM, "You are terse."),
                org.assertj.core.groups.Tuple.tuple(Message.Role.USER, "Say hi"),
                org.assertj.core.groups.Tuple.tuple(Message.Role.ASSISTANT, FakeUpstream.expectedText(5)));
    }

    @Test
    void streamingCompletionDeliversChunksAndUsage() {
        StringBuilder text = new StringBuilder();
        CompletionUsage[] usage = { null };
        ChatCompletionCreateParams params = ask("Stream it").streamOptions(ChatCompletionStreamOptions.builder()
                .includeUsage(true).build()).build();
        int chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            List<ChatCompletionChunk> all = stream.stream().toList();
            chunks = all.size();
            for (ChatCompletionChunk chunk : all) {
                chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append));
                chunk.usage().ifPresent(u -> usage[0] = u);
            }
            // one completion: every chunk carries its id, creation time and model, as OpenAI's do
            assertThat(all).extracting(ChatCompletionChunk::id).containsOnly(all.get(0).id());
            assertThat(all.get(0).id()).startsWith("chatcmpl-");
            assertThat(all).extracting(ChatCompletionChunk::created).containsOnly(all.get(0).created());
            assertThat(all).extracting(ChatCompletionChunk::model).containsOnly(all.get(0).model());
            assertThat(all).allSatisfy(c -> assertThat(c._object_()).hasToString("chat.completion.chunk"));
            assertThat(all.subList(1, 6)).allSatisfy(c -> {
                assertThat(c.choices()).hasSize(1);
                assertThat(c.choices().get(0).index()).isZero();
                assertThat(c.choices().get(0).finishReason()).isEmpty();
            });
        }
        assertThat(text.toString()).isEqualTo(FakeUpstream.expectedText(5));
        assertThat(chunks).isGreaterThanOrEqualTo(7); // role chunk, 5 deltas, finish chunk, usage chunk
        assertThat(usage[0]).isNotNull();
        assertThat(usage[0].completionTokens()).isEqualTo(5);
    }

    @Test
    void theConversationHeaderContinuesAStoredConversation() {
        HttpResponseFor<ChatCompletion> first = client.chat().completions().withRawResponse()
                .create(ask("first").build());
        String conversation = first.headers().values(OpenAiResource.CONVERSATION_HEADER).get(0);
        client.chat().completions().create(ask("first").addAssistantMessage(FakeUpstream.expectedText(5))
                .addUserMessage("second").putAdditionalHeader(OpenAiResource.CONVERSATION_HEADER, conversation)
                .build());
        assertThat(stored(conversation)).extracting(Message::content).containsExactly("You are terse.", "first",
                FakeUpstream.expectedText(5), "second", FakeUpstream.expectedText(5));
    }

    private static ChatCompletionCreateParams history(int pairs) {
        ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder().model(FakeUpstream.MODEL);
        for (int i = 0; i < pairs; i++) {
            params.addUserMessage("question " + i).addAssistantMessage("answer " + i);
        }
        return params.addUserMessage("the last question").build();
    }

    @Test
    void aNewConversationOfAThousandMessagesIsStoredWholeInOneWrite() {
        HttpResponseFor<ChatCompletion> raw = client.chat().completions().withRawResponse().create(history(499));
        assertThat(raw.parse().choices().get(0).message().content()).hasValue(FakeUpstream.expectedText(5));
        String conversation = raw.headers().values(OpenAiResource.CONVERSATION_HEADER).get(0);
        List<Message> all = result(messages.list(tenantId, UUID.fromString(conversation), null, 10_000)).items();
        assertThat(all).hasSize(1_000);
        assertThat(all.get(998).content()).isEqualTo("the last question");
        assertThat(all.get(999).content()).isEqualTo(FakeUpstream.expectedText(5));
    }

    @Test
    void aLongerHistoryIsRefusedWithA400AndNothingIsStored() {
        assertThatThrownBy(() -> client.chat().completions().create(history(2_000)))
                .isInstanceOf(com.openai.errors.BadRequestException.class)
                .hasMessageContaining("at most 1000 messages");
        assertThat(result(conversations.list(tenantId, false, null, 10)).items()).isEmpty();
    }

    @Test
    void aMessageOverTheContentCapOrAnOverlongModelNameIsRefusedWithA400AndNothingIsStored() {
        String tooLong = "x".repeat(OpenAiResource.MAX_CONTENT_CHARS + 1);
        io.restassured.RestAssured.given().header("Authorization", "Bearer " + key).contentType("application/json")
                .accept("application/json").body(new io.vertx.core.json.JsonObject().put("model", FakeUpstream.MODEL)
                        .put("messages", new io.vertx.core.json.JsonArray().add(new io.vertx.core.json.JsonObject()
                                .put("role", "user").put("content", tooLong))).encode())
                .post("/v1/chat/completions").then().statusCode(400).contentType("application/problem+json")
                .body("type", org.hamcrest.Matchers.equalTo("https://parley.dev/problems/invalid-request"));
        String model = "m".repeat(OpenAiResource.MAX_MODEL_CHARS + 1);
        assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder().model(model)
                .addUserMessage("hi").build())).isInstanceOf(com.openai.errors.BadRequestException.class);
        assertThat(result(conversations.list(tenantId, false, null, 10)).items()).isEmpty();
    }

    @Test
    void aWrongKeyIsRejectedAsUnauthorized() {
        OpenAIClient stranger = OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + RestAssured.port + "/v1")
                .apiKey("pk_wrong").maxRetries(0).build();
        try {
            assertThatThrownBy(() -> stranger.chat().completions().create(ask("hi").build()))
                    .isInstanceOf(UnauthorizedException.class);
        } finally {
            stranger.close();
        }
    }
}
