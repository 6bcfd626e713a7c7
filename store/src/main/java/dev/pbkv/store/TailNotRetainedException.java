package dev.pbkv.store;

/** The log no longer holds the records asked for: a snapshot has covered and dropped them. */
public final class TailNotRetainedException extends Exception {
    private static final long serialVersionUID = 1L;

    public TailNotRetainedException(long askedAfter, long logBase) {
        super("log holds records after offset " + logBase + " only; asked for records after " + askedAfter);
    }
}
