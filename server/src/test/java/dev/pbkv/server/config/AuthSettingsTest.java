package dev.pbkv.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pbkv.server.auth.PasswordHash;
import dev.pbkv.server.role.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthSettingsTest {
    @TempDir
    Path dir;

    private Settings load(String json, Role role) throws IOException {
        Path file = dir.resolve("settings.conf");
        Files.writeString(file, json);
        return SettingsLoader.withDefaults().file(file).build(role);
    }

    @Test
    void byDefaultThereAreNoUsersAndProtectedModeIsOn() {
        Settings s = SettingsLoader.withDefaults().build(Role.PRIMARY);
        assertThat(s.auth().required()).isFalse();
        assertThat(s.auth().protectedMode()).isTrue();
        assertThat(s.auth().failureDelayMs()).isEqualTo(200);
    }

    @Test
    void usersAreReadWithTheirAccessAndTheirHashesAreHiddenFromTheStartUpLine() throws IOException {
        String hash = PasswordHash.create("pw".toCharArray(), 1000);
        Settings s = load(
                "{\"auth\": {\"users\": {\"alice\": {\"access\": \"write\", \"password-hash\": \"" + hash + "\"}}}}",
                Role.PRIMARY);
        assertThat(s.auth().users()).containsOnlyKeys("alice");
        assertThat(s.auth().users().get("alice").access()).isEqualTo("write");
        assertThat(s.auth().users().get("alice").passwordHash()).isEqualTo(hash);
        assertThat(s.describe()).contains("alice").doesNotContain(hash);
    }

    @Test
    void aBadAccessOrHashIsNamedByItsKeyWithoutEchoingTheValue() {
        assertThatThrownBy(() -> load(
                        "{\"auth\": {\"users\": {\"bob\": {\"access\": \"root\", \"password-hash\": \"hunter2\"}}}}",
                        Role.PRIMARY))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("auth.users.bob.access must be one of [read, write, admin]")
                .hasMessageContaining("auth.users.bob.password-hash is not a pbkdf2-sha256")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void protectedModeRefusesANodeBeyondLoopbackWithoutUsers() {
        assertThatThrownBy(() -> load("{\"nodes\": {\"primary\": {\"host\": \"10.1.2.3\"}}}", Role.PRIMARY))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("nodes.primary.host is 10.1.2.3")
                .hasMessageContaining("auth.protected-mode");
    }

    @Test
    void protectedModeLetsLoopbackUsersOrAnExplicitOptOutThrough() throws IOException {
        assertThat(load("{\"nodes\": {\"primary\": {\"host\": \"localhost\"}}}", Role.PRIMARY)
                        .auth()
                        .required())
                .isFalse();
        assertThat(load("{\"nodes\": {\"primary\": {\"host\": \"127.0.0.2\"}}}", Role.PRIMARY))
                .isNotNull();
        assertThat(load(
                        "{\"nodes\": {\"primary\": {\"host\": \"10.1.2.3\"}}, \"auth\": {\"protected-mode\": false}}",
                        Role.PRIMARY))
                .isNotNull();
        String hash = PasswordHash.create("pw".toCharArray(), 1000);
        Path secret = dir.resolve("cluster.secret");
        Files.writeString(secret, "0123456789abcdef0123\n");
        assertThat(load(
                        "{\"nodes\": {\"primary\": {\"host\": \"10.1.2.3\"}}, \"auth\": {\"users\": {\"a\":"
                                + " {\"access\": \"read\", \"password-hash\": \"" + hash + "\"}},"
                                + " \"cluster-secret-file\": \"" + secret + "\"}}",
                        Role.PRIMARY))
                .isNotNull();
        // Only this node's own address counts: the backup's host is where the backup listens.
        assertThat(load("{\"nodes\": {\"backup\": {\"host\": \"10.1.2.3\"}}}", Role.PRIMARY))
                .isNotNull();
    }

    @Test
    void protectedModeRefusesUsersBeyondLoopbackWithoutAClusterSecretOrWithAnUnreadableOne() {
        String hash = PasswordHash.create("pw".toCharArray(), 1000);
        String users = "\"users\": {\"a\": {\"access\": \"read\", \"password-hash\": \"" + hash + "\"}}";
        assertThatThrownBy(() -> load(
                        "{\"nodes\": {\"primary\": {\"host\": \"10.1.2.3\"}}, \"auth\": {" + users + "}}",
                        Role.PRIMARY))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("auth.cluster-secret-file is not set")
                .hasMessageContaining("auth.protected-mode");
        assertThatThrownBy(() ->
                        load("{\"auth\": {\"cluster-secret-file\": \"" + dir.resolve("absent") + "\"}}", Role.PRIMARY))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("auth.cluster-secret-file " + dir.resolve("absent") + " cannot be read");
    }
}
