package dev.pbkv.server.command;

import dev.pbkv.store.DeadlineCondition;

/**
 * Redis 7's EXPIRE options: set the deadline only if the key has none (nx), has one (xx), the new
 * one is later (gt) or earlier (lt) than the key's. A key without a deadline counts as never
 * expiring: gt never applies to it, lt always does. The primary checks the condition under the
 * store's write lock, in the same step as the change (docs/expiry.md).
 */
public record ExpireCondition(boolean nx, boolean xx, boolean gt, boolean lt) {
    public static final ExpireCondition NONE = new ExpireCondition(false, false, false, false);

    public boolean isNone() {
        return !nx && !xx && !gt && !lt;
    }

    /** Why these options cannot go together (Redis's words), or null when they can. */
    public String incompatibility() {
        if (nx && (xx || gt || lt)) {
            return "NX and XX, GT or LT options at the same time are not compatible";
        }
        if (gt && lt) {
            return "GT and LT options at the same time are not compatible";
        }
        return null;
    }

    /** The store's form; only for a compatible condition. */
    DeadlineCondition toStore() {
        if (nx) {
            return DeadlineCondition.IF_NONE;
        }
        if (gt) {
            return DeadlineCondition.IF_LATER; // gt already needs a deadline: xx adds nothing
        }
        if (lt) {
            return xx ? DeadlineCondition.IF_SET_AND_EARLIER : DeadlineCondition.IF_EARLIER;
        }
        return xx ? DeadlineCondition.IF_SET : DeadlineCondition.ALWAYS;
    }
}
