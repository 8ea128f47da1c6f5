package dev.parley.store.postgres;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import org.hibernate.annotations.ColumnTransformer;

import dev.parley.store.Conversation;

@Entity
@Table(name = "conversations")
class ConversationEntity {
    @Id
    UUID id;
    @Column(name = "tenant_id")
    UUID tenantId;
    String title;
    String model;
    boolean archived;
    @Column(name = "created_at")
    Instant createdAt;
    @Column(name = "updated_at")
    Instant updatedAt;
    // Bound and read as text: a String bound straight to jsonb would become a JSON string, not an object, in the
    // reactive client.
    @ColumnTransformer(read = "metadata::text", write = "cast(cast(? as text) as jsonb)")
    String metadata;

    static ConversationEntity of(Conversation c) {
        ConversationEntity e = new ConversationEntity();
        e.id = c.id();
        e.tenantId = c.tenantId();
        e.title = c.title();
        e.model = c.model();
        e.archived = c.archived();
        e.createdAt = c.createdAt();
        e.updatedAt = c.updatedAt();
        e.metadata = c.metadata();
        return e;
    }

    Conversation toRecord() {
        return new Conversation(id, tenantId, title, model, archived, createdAt, updatedAt, metadata);
    }
}
