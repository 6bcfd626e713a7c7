package dev.pbkv.server.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.proto.replication.PeerInfo;
import org.junit.jupiter.api.Test;

class HistoryRankingTest {

    private static PeerInfo node(String id, boolean configuredPrimary, long epoch, long lastRecordEpoch, long last) {
        return PeerInfo.newBuilder()
                .setNodeId(id)
                .setConfiguredRole(configuredPrimary ? dev.pbkv.proto.Role.PRIMARY : dev.pbkv.proto.Role.BACKUP)
                .setEpoch(epoch)
                .setLastRecordEpoch(lastRecordEpoch)
                .setLastOffset(last)
                .build();
    }

    @Test
    void aNewerLastRecordOutranksALongerLog() {
        assertThat(Epochs.compareHistories(node("b", false, 2, 2, 100), node("a", true, 1, 1, 105)))
                .isPositive();
    }

    /**
     * The restarted old primary raised its epoch to 3 for itself; the promoted node at epoch 2 holds
     * an acknowledged write at offset 151 of epoch 2. Ranking by the node's epoch picked the old
     * primary and discarded that write (issue 10, failure 1); records decide.
     */
    @Test
    void aSelfRaisedEpochNeverOutranksTheRecords() {
        PeerInfo restartedOldPrimary = node("primary", true, 3, 1, 150);
        PeerInfo promoted = node("backup", false, 2, 2, 151);
        assertThat(Epochs.compareHistories(promoted, restartedOldPrimary)).isPositive();
        assertThat(Epochs.compareHistories(restartedOldPrimary, promoted)).isNegative();
    }

    @Test
    void inTheSameEpochTheLongerLogLeadsSoNoAcknowledgedWriteIsDropped() {
        assertThat(Epochs.compareHistories(node("b", false, 3, 3, 90), node("a", true, 3, 3, 80)))
                .isPositive();
    }

    @Test
    void equalHistoriesPreferTheConfiguredPrimaryAndTheRankingIsAntisymmetric() {
        PeerInfo a = node("primary", true, 1, 1, 10);
        PeerInfo b = node("backup", false, 1, 1, 10);
        assertThat(Epochs.compareHistories(a, b)).isPositive();
        assertThat(Epochs.compareHistories(b, a)).isNegative();
    }
}
