package dev.parley.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;

/** AES-256-GCM sealing of upstream API keys: what opens, what does not, and what the errors never say. */
class UpstreamKeyEncryptionTest {

    static final String SECRET = "sk-live-0123456789abcdefWXYZ";
    final UUID tenant = UUID.randomUUID();
    final UUID upstream = UUID.randomUUID();

    static String newKey() {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        return Base64.getEncoder().encodeToString(raw);
    }

    static UpstreamKeyEncryption with(String current, String... old) {
        return new UpstreamKeyEncryption(Optional.ofNullable(current), List.of(old));
    }

    @Test
    void aSealedValueOpensForItsRowAndNamesItsKey() {
        String key = newKey();
        UpstreamKeyEncryption e = with(key);
        String sealed = e.seal(SECRET, tenant, upstream);
        assertThat(sealed).startsWith("v1:" + e.currentKeyId().orElseThrow() + ":").doesNotContain(SECRET);
        assertThat(UpstreamKeyEncryption.keyIdOf(sealed)).isEqualTo(e.currentKeyId());
        assertThat(e.currentKeyId().orElseThrow()).hasSize(16).matches("[0-9a-f]+");
        assertThat(e.open(sealed, tenant, upstream)).isEqualTo(SECRET);
    }

    @Test
    void everyValueHasItsOwnNonce() {
        UpstreamKeyEncryption e = with(newKey());
        assertThat(e.seal(SECRET, tenant, upstream)).isNotEqualTo(e.seal(SECRET, tenant, upstream));
    }

    @Test
    void aValueCopiedToAnotherRowOrTenantDoesNotOpen() {
        UpstreamKeyEncryption e = with(newKey());
        String sealed = e.seal(SECRET, tenant, upstream);
        assertThatThrownBy(() -> e.open(sealed, tenant, UUID.randomUUID()))
                .isInstanceOf(UpstreamKeyEncryption.Unreadable.class).hasMessageContaining("another row");
        assertThatThrownBy(() -> e.open(sealed, UUID.randomUUID(), upstream))
                .isInstanceOf(UpstreamKeyEncryption.Unreadable.class);
    }

    @Test
    void anAlteredValueDoesNotOpenAndTheErrorSaysNothingOfIt() {
        UpstreamKeyEncryption e = with(newKey());
        String sealed = e.seal(SECRET, tenant, upstream);
        int at = sealed.length() - 6;
        String altered = sealed.substring(0, at) + (sealed.charAt(at) == 'A' ? 'B' : 'A') + sealed.substring(at + 1);
        assertThatThrownBy(() -> e.open(altered, tenant, upstream))
                .isInstanceOf(UpstreamKeyEncryption.Unreadable.class)
                .hasMessageNotContaining(SECRET).hasMessageNotContaining(altered.substring(20));
        assertThatThrownBy(() -> e.open("plaintext", tenant, upstream))
                .isInstanceOf(UpstreamKeyEncryption.Unreadable.class);
        assertThatThrownBy(() -> e.open("v1:" + e.currentKeyId().orElseThrow() + ":AAAA", tenant, upstream))
                .isInstanceOf(UpstreamKeyEncryption.Unreadable.class);
    }

    @Test
    void aChangedKeyIdDoesNotOpenEvenUnderTheRightKey() {
        String a = newKey();
        String b = newKey();
        UpstreamKeyEncryption both = with(a, b);
        String sealed = both.seal(SECRET, tenant, upstream);
        String otherId = with(b).currentKeyId().orElseThrow();
        String relabelled = "v1:" + otherId + sealed.substring(sealed.indexOf(':', 3));
        assertThatThrownBy(() -> both.open(relabelled, tenant, upstream))
                .isInstanceOf(UpstreamKeyEncryption.Unreadable.class);
    }

    @Test
    void oldKeysOpenAndOnlyTheCurrentOneSeals() {
        String old = newKey();
        String current = newKey();
        String underOld = with(old).seal(SECRET, tenant, upstream);
        UpstreamKeyEncryption rotated = with(current, old);
        assertThat(rotated.open(underOld, tenant, upstream)).isEqualTo(SECRET);
        String resealed = rotated.seal(SECRET, tenant, upstream);
        assertThat(UpstreamKeyEncryption.keyIdOf(resealed)).isEqualTo(rotated.currentKeyId());
        assertThat(with(current).open(resealed, tenant, upstream)).isEqualTo(SECRET);
        assertThatThrownBy(() -> with(current).open(underOld, tenant, upstream))
                .isInstanceOf(UpstreamKeyEncryption.Unreadable.class)
                .hasMessageContaining(UpstreamKeyEncryption.keyIdOf(underOld).orElseThrow());
    }

    @Test
    void withoutACurrentKeyNothingIsSealed() {
        UpstreamKeyEncryption none = with(null);
        assertThat(none.canSeal()).isFalse();
        assertThatThrownBy(() -> none.seal(SECRET, tenant, upstream))
                .isInstanceOf(UpstreamKeyEncryption.NotConfigured.class)
                .hasMessageContaining("PARLEY_ENCRYPTION_KEY");
    }

    @Test
    void aVariableThatIsNotA32ByteBase64KeyIsRefusedWithoutQuotingIt() {
        String short16 = Base64.getEncoder().encodeToString(new byte[16]);
        assertThatThrownBy(() -> with(short16)).isInstanceOf(UpstreamKeyEncryption.InvalidKey.class)
                .hasMessageContaining("PARLEY_ENCRYPTION_KEY").hasMessageContaining("32 bytes")
                .hasMessageNotContaining(short16);
        assertThatThrownBy(() -> with(newKey(), "not base64!")).isInstanceOf(UpstreamKeyEncryption.InvalidKey.class)
                .hasMessageContaining("PARLEY_ENCRYPTION_OLD_KEYS").hasMessageNotContaining("not base64!");
    }

    @Test
    void onlyTheLastFourCharactersOfALongEnoughKeyAreShown() {
        assertThat(UpstreamKeyEncryption.hint(SECRET)).isEqualTo("WXYZ");
        assertThat(UpstreamKeyEncryption.hint("short-key")).isEmpty();
    }
}
