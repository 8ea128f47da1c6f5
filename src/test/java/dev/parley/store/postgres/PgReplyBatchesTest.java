package dev.parley.store.postgres;

import static dev.parley.testing.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.parley.auth.Tenants;
import dev.parley.store.Conversation;
import dev.parley.store.Message;
import dev.parley.store.TurnStore;
import dev.parley.store.UuidV7;
import dev.parley.testing.PostgresBackend;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The replies of turns that finish together go into one statement ({@link PgReplyBatches}); a reply whose own write
 * fails fails alone. What the stored rows and rollups hold is the usage contract's ({@code UsageContract}, both
 * backends); this is what only PostgreSQL does.
 */
@QuarkusTest
@TestProfile(PostgresBackend.class)
class PgReplyBatchesTest {

    @Inject
    Tenants tenants;

    @Inject
    TurnStore turns;

    @Inject
    PgReplyBatches batches;

    @Inject
    Pool pool;

    private UUID tenant;
    private UUID conversation;

    private void newConversation() {
        tenant = result(tenants.createTenant("replies-" + UUID.randomUUID(), Tenants.TENANT_SCOPES)).tenant().id();
        conversation = UuidV7.next();
        Instant now = Instant.now();
        result(turns.start(new TurnStore.TurnStart(new Conversation(conversation, tenant, "t", "m", false, now, now,
                null), List.of(new Message(UuidV7.next(), tenant, conversation, Message.Role.USER, "hi", 1, 0, null,
                        now)), null)));
    }

    private Message reply(String content) {
        return new Message(UuidV7.next(), tenant, conversation, Message.Role.ASSISTANT, content, 3, 5, "stop",
                Instant.now(), UuidV7.next(), "m");
    }

    private long[] rollup() {
        Row row = result(pool.preparedQuery("SELECT coalesce(sum(turns), 0) AS turns, coalesce(sum(tokens_out), 0) "
                + "AS out FROM usage_tenant_daily WHERE tenant_id = $1").execute(Tuple.of(tenant))).iterator().next();
        return new long[] { row.getLong("turns"), row.getLong("out") };
    }

    private long storedReplies() {
        return result(pool.preparedQuery("SELECT count(*) AS n FROM messages WHERE tenant_id = $1 AND role = "
                + "'assistant'").execute(Tuple.of(tenant))).iterator().next().getLong("n");
    }

    @Test
    void repliesThatFinishTogetherShareStatements() {
        newConversation();
        long before = batches.statements();
        List<CompletableFuture<Boolean>> finishing = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            finishing.add(turns.finish(new TurnStore.TurnEnd(reply("r" + i), null)).subscribeAsCompletionStage());
        }
        finishing.forEach(f -> assertThat(f.join()).isTrue());
        long statements = batches.statements() - before;
        // the first goes alone, the others wait for it and go together, at most MAX to a statement
        assertThat(statements).isBetween((200L + PgReplyBatches.MAX - 1) / PgReplyBatches.MAX, 199L);
        assertThat(storedReplies()).isEqualTo(200);
        assertThat(rollup()).containsExactly(200, 1000);
    }

    @Test
    void aReplyWhoseWriteFailsFailsAloneAndTheOthersAreStoredAndCounted() {
        newConversation();
        List<CompletableFuture<Boolean>> finishing = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            // PostgreSQL refuses NUL in text: the statement holding this one fails, and its replies go one by one
            String content = i == 17 ? "bad \u0000 reply" : "r" + i;
            finishing.add(turns.finish(new TurnStore.TurnEnd(reply(content), null)).subscribeAsCompletionStage());
        }
        for (int i = 0; i < 30; i++) {
            if (i == 17) {
                CompletableFuture<Boolean> bad = finishing.get(i);
                assertThatThrownBy(bad::join).isInstanceOf(CompletionException.class);
            } else {
                assertThat(finishing.get(i).join()).as("reply %d", i).isTrue();
            }
        }
        assertThat(storedReplies()).isEqualTo(29);
        assertThat(rollup()).containsExactly(29, 145);
        // and the next turn's reply goes in as usual
        assertThat(result(turns.finish(new TurnStore.TurnEnd(reply("after"), null)))).isTrue();
        assertThat(rollup()).containsExactly(30, 150);
    }
}
