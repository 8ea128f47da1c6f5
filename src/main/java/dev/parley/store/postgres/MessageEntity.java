package dev.parley.store.postgres;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import dev.parley.store.Message;

@Entity
@Table(name = "messages")
class MessageEntity {
    @Id
    UUID id;
    @Column(name = "tenant_id")
    UUID tenantId;
    @Column(name = "conversation_id")
    UUID conversationId;
    String role;
    String content;
    @Column(name = "tokens_in")
    int tokensIn;
    @Column(name = "tokens_out")
    int tokensOut;
    @Column(name = "finish_reason")
    String finishReason;
    @Column(name = "created_at")
    Instant createdAt;
    @Column(name = "key_id")
    UUID keyId;
    String model;

    static MessageEntity of(Message m) {
        MessageEntity e = new MessageEntity();
        e.id = m.id();
        e.tenantId = m.tenantId();
        e.conversationId = m.conversationId();
        e.role = m.role().id();
        e.content = m.content();
        e.tokensIn = m.tokensIn();
        e.tokensOut = m.tokensOut();
        e.finishReason = m.finishReason();
        e.createdAt = m.createdAt();
        e.keyId = m.keyId();
        e.model = m.model();
        return e;
    }

    Message toRecord() {
        return new Message(id, tenantId, conversationId, Message.Role.of(role), content, tokensIn, tokensOut,
                finishReason, createdAt, keyId, model);
    }
}
