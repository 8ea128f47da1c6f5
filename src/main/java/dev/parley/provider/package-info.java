/**
 * Model providers: the OpenAI-compatible upstream client, the built-in demo provider, and the routing between them
 * (model to upstreams, round-robin, failover before the first token).
 */
package dev.parley.provider;
