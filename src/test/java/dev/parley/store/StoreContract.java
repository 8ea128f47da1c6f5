package dev.parley.store;

import static dev.parley.testing.Await.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every store adapter must have. Written once, run against SQLite ({@code SqliteStoreTest}) and
 * PostgreSQL ({@code PostgresStoreTest}).
 */
public abstract class StoreContract {

    @Inject
    TenantStore tenants;

    @Inject
    ConversationStore conversations;

    @Inject
    MessageStore messages;

    @Inject
    TurnStore turns;

    UUID tenant;
    UUID otherTenant;

    @BeforeEach
    void createTenants() {
        tenant = newTenant("a");
        otherTenant = newTenant("b");
    }

    private UUID newTenant(String name) {
        Tenant t = new Tenant(UuidV7.next(), name, Timestamps.now());
        result(tenants.createTenant(t, key(t.id(), UUID.randomUUID().toString())));
        return t.id();
    }

    private static ApiKey key(UUID tenantId, String hash) {
        return new ApiKey(UuidV7.next(), tenantId, "k", "pk_xx", hash, Set.of("read", "chat"), Timestamps.now(), null,
                null, null);
    }

    private Conversation conversation(UUID tenantId, String title, Instant updatedAt) {
        return new Conversation(UuidV7.next(), tenantId, title, "demo", false, updatedAt, updatedAt, null);
    }

    private Conversation create(String title) {
        Conversation c = conversation(tenant, title, Timestamps.now());
        result(conversations.create(c));
        return c;
    }

    /** Stores a message into an existing conversation the way a turn does, without limits. */
    private io.smallrye.mutiny.Uni<Void> append(Message m) {
        return turns.start(new TurnStore.TurnStart(null, List.of(m), null));
    }

    private Message message(Conversation c, Message.Role role, String content, Instant at) {
        return new Message(UuidV7.next(), c.tenantId(), c.id(), role, content, 3, 7, role == Message.Role.ASSISTANT
                ? "stop" : null, at);
    }

    @Test
    void aConversationIsCreatedWithItsFirstMessagesInOneTransaction() {
        Instant at = Timestamps.now();
        Conversation c = conversation(tenant, "with prompt", at);
        List<Message> prompt = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            prompt.add(message(c, i % 2 == 0 ? Message.Role.USER : Message.Role.ASSISTANT, "m" + i,
                    at.plusNanos(i * 1000L)));
        }
        result(turns.start(new TurnStore.TurnStart(c, prompt, null)));
        assertThat(result(messages.list(tenant, c.id(), null, 1000)).items()).isEqualTo(prompt);
    }

    @Test
    void aConversationWhoseMessagesCannotBeStoredIsNotStoredEither() {
        Conversation c = conversation(tenant, "half", Timestamps.now());
        Message fine = message(c, Message.Role.USER, "fine", Timestamps.now());
        Message orphan = new Message(UuidV7.next(), UuidV7.next(), c.id(), Message.Role.USER, "no such tenant", 0, 0,
                null, Timestamps.now());
        assertThatThrownBy(() -> result(turns.start(new TurnStore.TurnStart(c, List.of(fine, orphan), null)))).isNotNull();
        assertThat(result(conversations.find(tenant, c.id()))).isEmpty();
        assertThat(result(messages.list(tenant, c.id(), null, 10)).items()).isEmpty();
    }

    @Test
    void createdConversationIsFoundExactlyAsStored() {
        Conversation c = create("Plans for 🌍 — ünïcødé");
        assertThat(result(conversations.find(tenant, c.id()))).contains(c);
    }

    @Test
    void conversationOfAnotherTenantDoesNotExist() {
        Conversation c = create("secret");
        assertThat(result(conversations.find(otherTenant, c.id()))).isEmpty();
        assertThat(result(conversations.list(otherTenant, false, null, 10)).items()).isEmpty();
        assertThat(result(conversations.update(otherTenant, c.id(),
                new ConversationChange(Optional.of("stolen"), Optional.empty(), Optional.empty()), Timestamps.now()))).isEmpty();
        assertThat(result(conversations.delete(otherTenant, c.id()))).isFalse();
        assertThat(result(conversations.find(tenant, c.id()))).contains(c);
    }

    @Test
    void listReturnsMostRecentlyActiveFirstAcrossPages() {
        Instant base = Timestamps.now();
        List<Conversation> created = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Conversation c = conversation(tenant, "c" + i, base.plusSeconds(i));
            result(conversations.create(c));
            created.add(c);
        }
        // two conversations with the same activity time are ordered by id, and neither is skipped between pages
        Conversation tie = conversation(tenant, "tie", base.plusSeconds(2));
        result(conversations.create(tie));

        List<String> titles = new ArrayList<>();
        Cursor cursor = null;
        int pages = 0;
        do {
            Page<Conversation> page = result(conversations.list(tenant, false, cursor, 2));
            page.items().forEach(c -> titles.add(c.title()));
            cursor = page.next();
            pages++;
        } while (cursor != null);

        assertThat(titles).containsExactly("c4", "c3", "tie", "c2", "c1", "c0");
        assertThat(pages).isEqualTo(3);
    }

    @Test
    void lastPageHasNoCursor() {
        create("only");
        Page<Conversation> page = result(conversations.list(tenant, false, null, 1));
        assertThat(page.items()).hasSize(1);
        assertThat(page.next()).isNull();
    }

    @Test
    void archivedConversationsAreListedSeparately() {
        Conversation kept = create("kept");
        Conversation archived = create("archived");
        result(conversations.update(tenant, archived.id(), new ConversationChange(Optional.empty(), Optional.of(true), Optional.empty()),
                Timestamps.now()));

        assertThat(result(conversations.list(tenant, false, null, 10)).items()).extracting(Conversation::id)
                .containsExactly(kept.id());
        assertThat(result(conversations.list(tenant, true, null, 10)).items()).extracting(Conversation::id)
                .containsExactly(archived.id());
    }

    @Test
    void updateChangesOnlyTheGivenFields() {
        Conversation c = create("before");
        Instant later = c.updatedAt().plusSeconds(1);
        Optional<Conversation> renamed = result(conversations.update(tenant, c.id(),
                new ConversationChange(Optional.of("after"), Optional.empty(), Optional.empty()), later));
        assertThat(renamed).get().satisfies(r -> {
            assertThat(r.title()).isEqualTo("after");
            assertThat(r.archived()).isFalse();
            assertThat(r.model()).isEqualTo(c.model());
            assertThat(r.createdAt()).isEqualTo(c.createdAt());
            assertThat(r.updatedAt()).isEqualTo(later);
        });
        Optional<Conversation> archived = result(conversations.update(tenant, c.id(),
                new ConversationChange(Optional.empty(), Optional.of(true), Optional.empty()), later));
        assertThat(archived).get().satisfies(r -> {
            assertThat(r.title()).isEqualTo("after");
            assertThat(r.archived()).isTrue();
        });
        assertThat(result(conversations.find(tenant, c.id()))).isEqualTo(archived);
    }

    @Test
    void deleteRemovesTheConversationAndItsMessages() {
        Conversation c = create("doomed");
        result(append(message(c, Message.Role.USER, "hello", Timestamps.now())));
        assertThat(result(conversations.delete(tenant, c.id()))).isTrue();
        assertThat(result(conversations.find(tenant, c.id()))).isEmpty();
        assertThat(result(messages.list(tenant, c.id(), null, 10)).items()).isEmpty();
        assertThat(result(conversations.delete(tenant, c.id()))).isFalse();
    }

    @Test
    void messagesListOldestFirstAcrossPagesWithExactContent() {
        Conversation c = create("chat");
        Instant base = Timestamps.now();
        List<Message> appended = new ArrayList<>();
        String[] contents = { "hi", "Hello! 👋", "x".repeat(100_000), "line1\nline2\t\"quoted\"", "" };
        for (int i = 0; i < contents.length; i++) {
            Message m = message(c, i % 2 == 0 ? Message.Role.USER : Message.Role.ASSISTANT, contents[i],
                    base.plusMillis(i));
            result(append(m));
            appended.add(m);
        }
        List<Message> listed = new ArrayList<>();
        Cursor cursor = null;
        do {
            Page<Message> page = result(messages.list(tenant, c.id(), cursor, 2));
            listed.addAll(page.items());
            cursor = page.next();
        } while (cursor != null);
        assertThat(listed).containsExactlyElementsOf(appended);
    }

    @Test
    void recentReturnsTheNewestMessagesOldestFirst() {
        Conversation c = create("history");
        Instant base = Timestamps.now();
        for (int i = 0; i < 5; i++) {
            result(append(message(c, Message.Role.USER, "m" + i, base.plusMillis(i))));
        }
        assertThat(result(messages.recent(tenant, c.id(), 3))).extracting(Message::content)
                .containsExactly("m2", "m3", "m4");
        assertThat(result(messages.recent(otherTenant, c.id(), 3))).isEmpty();
    }

    @Test
    void appendingAMessageMarksTheConversationActive() {
        Conversation older = create("older");
        Conversation newer = create("newer");
        Instant later = newer.updatedAt().plusSeconds(5);
        result(append(message(older, Message.Role.USER, "bump", later)));

        assertThat(result(conversations.find(tenant, older.id()))).get()
                .extracting(Conversation::updatedAt).isEqualTo(later);
        assertThat(result(conversations.list(tenant, false, null, 10)).items()).extracting(Conversation::id)
                .startsWith(older.id(), newer.id());
    }

    @Test
    void appendingToAnotherTenantsConversationFails() {
        Conversation c = create("mine");
        Message intruder = new Message(UuidV7.next(), otherTenant, c.id(), Message.Role.USER, "hi", 0, 0, null,
                Timestamps.now());
        assertThatThrownBy(() -> result(append(intruder))).isInstanceOf(NoSuchConversationException.class);
        assertThat(result(messages.list(tenant, c.id(), null, 10)).items()).isEmpty();
    }

    @Test
    void appendingToAMissingConversationFails() {
        Message orphan = new Message(UuidV7.next(), tenant, UuidV7.next(), Message.Role.USER, "hi", 0, 0, null,
                Timestamps.now());
        assertThatThrownBy(() -> result(append(orphan))).isInstanceOf(NoSuchConversationException.class);
    }

    @Test
    void timestampsSurviveAtMicrosecondPrecisionFromEpochToFarFuture() {
        for (Instant at : List.of(Instant.EPOCH, Instant.parse("2999-12-31T23:59:59.999999Z"),
                Instant.parse("2026-01-02T03:04:05.123456Z"))) {
            Conversation c = conversation(tenant, "t", at);
            result(conversations.create(c));
            assertThat(result(conversations.find(tenant, c.id()))).get().extracting(Conversation::createdAt)
                    .isEqualTo(at);
        }
    }

    @Test
    void aKeyIsFoundByItsHashWithItsScopesAndExpiry() {
        String hash = "hash-" + UUID.randomUUID();
        ApiKey k = new ApiKey(UuidV7.next(), tenant, "ci", "pk_abc", hash, Set.of("admin"), Timestamps.now(),
                Timestamps.now().plusSeconds(3600), null, null);
        result(tenants.createApiKey(k));
        assertThat(result(tenants.findKey(hash))).contains(k);
        assertThat(result(tenants.findKey("no-such-hash"))).isEmpty();
    }

    @Test
    void recordingUseKeepsTheNewestTimeAndNothingElse() {
        String hash = "used-" + UUID.randomUUID();
        ApiKey k = key(tenant, hash);
        result(tenants.createApiKey(k));
        Instant later = Timestamps.now().plusSeconds(60);
        result(tenants.recordKeyUse(Map.of(k.id(), later)));
        result(tenants.recordKeyUse(Map.of(k.id(), later.minusSeconds(30))));
        ApiKey used = result(tenants.findKey(hash)).orElseThrow();
        assertThat(used.lastUsedAt()).isEqualTo(later);
        assertThat(used).usingRecursiveComparison().ignoringFields("lastUsedAt").isEqualTo(k);
    }

    @Test
    void aRevokedKeyIsStillFoundRevokedAndListedAsRevokedSinceThen() {
        String hash = "revoked-" + UUID.randomUUID();
        ApiKey k = key(tenant, hash);
        result(tenants.createApiKey(k));
        Instant at = Timestamps.now();
        assertThat(result(tenants.revokeKey(tenant, k.id(), at))).get().extracting(ApiKey::revokedAt).isEqualTo(at);
        assertThat(result(tenants.revokeKey(tenant, k.id(), at.plusSeconds(5)))).get()
                .extracting(ApiKey::revokedAt).as("the first revocation time stays").isEqualTo(at);
        assertThat(result(tenants.findKey(hash))).get().extracting(ApiKey::revokedAt).isEqualTo(at);
        assertThat(result(tenants.revokedSince(at))).contains(new TenantStore.Revocation(hash, at));
        assertThat(result(tenants.revokedSince(at.plusNanos(1000)))).extracting(TenantStore.Revocation::hash)
                .doesNotContain(hash);
    }

    @Test
    void anotherTenantsKeyCannotBeRevoked() {
        ApiKey k = key(tenant, "mine-" + UUID.randomUUID());
        result(tenants.createApiKey(k));
        assertThat(result(tenants.revokeKey(otherTenant, k.id(), Timestamps.now()))).isEmpty();
        assertThat(result(tenants.findKey(k.hash()))).get().extracting(ApiKey::revokedAt).isNull();
    }

    @Test
    void keysAreListedOldestFirstAndPagedPerTenant() {
        List<ApiKey> made = new ArrayList<>();
        Instant base = Timestamps.now();
        for (int i = 0; i < 5; i++) {
            ApiKey k = new ApiKey(UuidV7.next(), tenant, "k" + i, "pk_" + i, "list-" + UUID.randomUUID(),
                    Set.of("read"), base.plusSeconds(i), null, null, null);
            result(tenants.createApiKey(k));
            made.add(k);
        }
        result(tenants.createApiKey(key(otherTenant, "other-" + UUID.randomUUID())));
        Page<ApiKey> first = result(tenants.listKeys(tenant, null, 3));
        Page<ApiKey> rest = result(tenants.listKeys(tenant, first.next(), 10));
        List<ApiKey> all = new ArrayList<>(first.items());
        all.addAll(rest.items());
        assertThat(all).extracting(ApiKey::tenantId).containsOnly(tenant);
        assertThat(all.stream().filter(made::contains).toList()).containsExactlyElementsOf(made);
        assertThat(rest.next()).isNull();
    }

    @Test
    void twoKeysCannotShareAHash() {
        String hash = "dup-" + UUID.randomUUID();
        result(tenants.createApiKey(key(tenant, hash)));
        assertThatThrownBy(() -> result(tenants.createApiKey(key(otherTenant, hash)))).isNotNull();
        assertThat(result(tenants.findKey(hash))).get().extracting(ApiKey::tenantId).isEqualTo(tenant);
    }

    @Test
    void tenantIsFoundWithItsName() {
        assertThat(result(tenants.findTenant(tenant))).get().extracting(Tenant::name).isEqualTo("a");
    }
}
