package dev.parley.auth;

import io.quarkus.security.identity.request.BaseAuthenticationRequest;

/** The bearer token of a request, to be verified as a Parley API key by {@link ApiKeyIdentityProvider}. */
final class ApiKeyCredential extends BaseAuthenticationRequest {

    private final String token;

    ApiKeyCredential(String token) {
        this.token = token;
    }

    String token() {
        return token;
    }
}
