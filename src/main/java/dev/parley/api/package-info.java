/**
 * The HTTP surface: REST resources, request and response records, and the single mapping of every error to
 * {@code application/problem+json} (RFC 9457).
 */
package dev.parley.api;
