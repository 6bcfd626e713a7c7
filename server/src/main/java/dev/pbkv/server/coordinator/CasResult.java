package dev.pbkv.server.coordinator;

/** How a compare-and-set on the pair's znodes ended. */
public enum CasResult {
    /** Applied: the znodes now hold what was asked. */
    APPLIED,
    /** Not applied: the version changed (someone else wrote first) or the leader znode exists. */
    CONFLICT,
    /** Unknown or not applied: the coordinator could not be reached; read again before deciding. */
    UNREACHABLE
}
