package dev.parley.store.postgres;

import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import dev.parley.store.Tenant;

@Entity
@Table(name = "tenants")
class TenantEntity {
    @Id
    UUID id;
    String name;
    @Column(name = "created_at")
    Instant createdAt;

    static TenantEntity of(Tenant t) {
        TenantEntity e = new TenantEntity();
        e.id = t.id();
        e.name = t.name();
        e.createdAt = t.createdAt();
        return e;
    }

    Tenant toRecord() {
        return new Tenant(id, name, createdAt);
    }
}
