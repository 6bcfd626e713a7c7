package dev.pbkv.server.coordinator;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The pair's {@code state} znode: who is primary at which epoch, and which members hold every
 * acknowledged write ({@code in_sync}). Only ever changed by a compare-and-set on the znode's
 * version (docs/coordinator.md). Stored as JSON such as
 * {@code {"epoch":3,"primary":"backup","in_sync":["backup","primary"]}}.
 *
 * @param epoch   the primary's epoch; a promotion raises it
 * @param primary the node id of the one node that may acknowledge writes at this epoch
 * @param inSync  the members that acknowledged every acknowledged write (the primary first)
 */
public record PairRecord(
        @JsonProperty("epoch") long epoch,
        @JsonProperty("primary") String primary,
        @JsonProperty("in_sync") List<String> inSync) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public PairRecord {
        Objects.requireNonNull(primary, "primary");
        inSync = List.copyOf(inSync);
    }

    /** A new primary at epoch, alone in in_sync. */
    public static PairRecord primaryAlone(long epoch, String primary) {
        return new PairRecord(epoch, primary, List.of(primary));
    }

    public boolean isInSync(String node) {
        return inSync.contains(node);
    }

    /** This record with node added to in_sync (unchanged when it is there). */
    public PairRecord withInSync(String node) {
        if (isInSync(node)) {
            return this;
        }
        List<String> next = new ArrayList<>(inSync);
        next.add(node);
        return new PairRecord(epoch, primary, next);
    }

    /** This record with node removed from in_sync. */
    public PairRecord withoutInSync(String node) {
        List<String> next = new ArrayList<>(inSync);
        next.remove(node);
        return new PairRecord(epoch, primary, next);
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses the znode's data; throws IllegalArgumentException naming what is wrong. */
    public static PairRecord fromJson(byte[] data) {
        try {
            return JSON.readValue(data, PairRecord.class);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("the state znode does not hold a pair record: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "{epoch " + epoch + ", primary " + primary + ", in_sync " + inSync + "}";
    }
}
