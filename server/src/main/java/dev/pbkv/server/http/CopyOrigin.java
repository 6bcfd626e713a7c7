package dev.pbkv.server.http;

import dev.pbkv.server.command.NodeStatus;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Map;

/**
 * Whose copy a management read ({@code /kvman/countkey}, {@code /kvman/dump}) was answered from:
 * {@code "primary"} when the acting primary answered (its reads wait for commit), {@code "backup"}
 * when any other node answered from its own copy (a backup, or a node still starting), which may
 * lag the primary's. With the node's role, state and last offset when the read began.
 *
 * @param from   "primary" or "backup"
 * @param role   the role the node plays now (PRIMARY or BACKUP)
 * @param state  its state (docs/state-machine.md)
 * @param offset the last offset its copy held when the read began
 */
record CopyOrigin(String from, String role, String state, long offset) {

    static CopyOrigin of(NodeStatus s) {
        boolean acting = s.role() == Role.PRIMARY && (s.state() == NodeState.BOOTSTRAP || s.state() == NodeState.SYNC);
        return new CopyOrigin(
                acting ? "primary" : "backup", s.role().name(), s.state().name(), s.lastOffset());
    }

    /** The JSON fields beside an answer's own. */
    void addTo(Map<String, Object> fields) {
        fields.put("from", from);
        fields.put("role", role);
        fields.put("state", state);
        fields.put("offset", offset);
    }

    /** The same as headers (a dump's body is the contract's bare object of pairs, with no room for them). */
    void addTo(HttpHeaders headers) {
        headers.set("X-Pbkv-From", from);
        headers.set("X-Pbkv-Role", role);
        headers.set("X-Pbkv-State", state);
        headers.set("X-Pbkv-Offset", Long.toString(offset));
    }
}
