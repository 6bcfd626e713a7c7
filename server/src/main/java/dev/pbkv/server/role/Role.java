package dev.pbkv.server.role;

/** The role a node plays: the primary serves writes, the backup applies the primary's stream. */
public enum Role {
    PRIMARY,
    BACKUP
}
