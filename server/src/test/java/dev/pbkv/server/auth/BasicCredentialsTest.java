package dev.pbkv.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class BasicCredentialsTest {

    private static String basic(String userColonPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void userIsUpToTheFirstColonAndPasswordTheRest() {
        BasicCredentials c = BasicCredentials.parse(basic("zoë:pa:ss é"));
        assertThat(c.user()).isEqualTo("zoë");
        assertThat(new String(c.password(), StandardCharsets.UTF_8)).isEqualTo("pa:ss é");
    }

    @Test
    void schemeIsCaseInsensitiveAndAnEmptyPasswordIsAPassword() {
        BasicCredentials c = BasicCredentials.parse(
                "bASIC " + Base64.getEncoder().encodeToString("u:".getBytes(StandardCharsets.UTF_8)) + " ");
        assertThat(c.user()).isEqualTo("u");
        assertThat(c.password()).isEmpty();
    }

    @Test
    void absentOrMalformedValuesGiveNull() {
        assertThat(BasicCredentials.parse(null)).isNull();
        assertThat(BasicCredentials.parse("")).isNull();
        assertThat(BasicCredentials.parse("Basic")).isNull();
        assertThat(BasicCredentials.parse("Bearer abc")).isNull();
        assertThat(BasicCredentials.parse("Basic not*base64")).isNull();
        assertThat(BasicCredentials.parse(basic("no-colon"))).isNull();
    }
}
