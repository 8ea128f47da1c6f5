/**
 * Authentication: API keys (random, shown once, stored as SHA-256 hashes), tenants, and the identity of the current
 * request. Authenticating costs one indexed lookup, cached briefly; last-use times are written in batches.
 */
package dev.parley.auth;
