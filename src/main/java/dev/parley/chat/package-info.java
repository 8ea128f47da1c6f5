/**
 * Conversations and messages: the rules of the domain (defaults, limits, tenant scoping), independent of the HTTP
 * layer and of which database is active.
 */
package dev.parley.chat;
