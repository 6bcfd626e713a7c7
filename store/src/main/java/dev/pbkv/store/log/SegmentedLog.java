package dev.pbkv.store.log;

import dev.pbkv.store.LogRecord;
import dev.pbkv.store.TailNotRetainedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log on disk: segment files {@code log-<baseOffset>.seg} in the data directory, each a
 * 28-byte header then records (see {@link RecordCodec}). A segment holds the records with
 * offsets baseOffset+1 ... up to the next segment's base. Only the log thread appends; any
 * thread may read the written part.
 *
 * <p>Why one class of about 600 lines: recovery, append, read, retention and truncation all walk
 * or change the one list of segments and its base and last offsets, under one lock. Split apart,
 * each piece would need that list handed out, and the invariants below would live in several
 * files.
 */
public final class SegmentedLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentedLog.class);

    /** A sparse index point is kept at most every this many bytes of a segment. */
    static final int INDEX_INTERVAL = 4096;

    public static final int SEGMENT_MAGIC = 0x50424B4C; // "PBKL"
    public static final int SEGMENT_VERSION = 1;
    public static final int SEGMENT_HEADER_BYTES = 28;
    private static final Pattern NAME = Pattern.compile("log-(\\d{20})\\.seg");

    /** One segment file. */
    static final class Segment {
        final Path path;
        final long baseOffset;
        final long baseEpoch;
        final FileChannel channel;
        /** Bytes written to the OS (header included): readers never read past it. Written by the log thread. */
        volatile long size;
        /** Offset of the segment's last written record (baseOffset when empty). Written by the log thread. */
        volatile long lastOffset;
        /** Epoch of that record (baseEpoch when empty). Written by the log thread. */
        volatile long lastEpoch;
        /**
         * Whether writes since the last force exist: set by the log thread after each write,
         * cleared by a forcer just before it forces (a write after that sets it again).
         */
        final AtomicBoolean dirty = new AtomicBoolean();
        // Sparse index (offset -> file position of that record); guarded by this segment's monitor.
        private long[] indexOffsets = new long[16];
        private long[] indexPositions = new long[16];
        private int indexCount;

        Segment(Path path, long baseOffset, long baseEpoch, FileChannel channel) {
            this.path = path;
            this.baseOffset = baseOffset;
            this.baseEpoch = baseEpoch;
            this.channel = channel;
            this.size = SEGMENT_HEADER_BYTES;
            this.lastOffset = baseOffset;
            this.lastEpoch = baseEpoch;
        }

        synchronized void addIndex(long offset, long position) {
            if (indexCount > 0 && position - indexPositions[indexCount - 1] < INDEX_INTERVAL) {
                return;
            }
            if (indexCount == indexOffsets.length) {
                indexOffsets = Arrays.copyOf(indexOffsets, indexCount * 2);
                indexPositions = Arrays.copyOf(indexPositions, indexCount * 2);
            }
            indexOffsets[indexCount] = offset;
            indexPositions[indexCount] = position;
            indexCount++;
        }

        /** File position of a record at or before the one with offset target, below limit. */
        synchronized long positionAtOrBefore(long target, long limit) {
            long best = SEGMENT_HEADER_BYTES;
            for (int lo = 0, hi = indexCount - 1; lo <= hi; ) {
                int mid = (lo + hi) >>> 1;
                if (indexOffsets[mid] <= target && indexPositions[mid] < limit) {
                    best = indexPositions[mid];
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
            return best;
        }

        synchronized void dropIndexFrom(long position) {
            while (indexCount > 0 && indexPositions[indexCount - 1] >= position) {
                indexCount--;
            }
        }
    }

    private final Path dir;
    private final long segmentBytes;
    private final SegmentChannelFactory channels;
    /**
     * Guards the segment list and the lifetime of the channels in it: readers hold the read lock
     * while they use a channel; roll, drop, truncate and reset hold the write lock. A forcer holds
     * it only to pick the segments to force, not across the force (see {@link #force()}).
     */
    private final ReentrantReadWriteLock segmentsLock = new ReentrantReadWriteLock();

    private final List<Segment> segments = new ArrayList<>();
    /**
     * Serializes force() calls (the log thread, a snapshot's barrier), so a force that returns
     * knows every write before its call is on disk even when another forcer cleared the flags.
     * Held across the force; the log thread's appends never take it.
     */
    private final Object forceLock = new Object();

    private SegmentedLog(Path dir, long segmentBytes, SegmentChannelFactory channels) {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.channels = channels;
    }

    /**
     * Opens the segments in dir and checks every record. The first damaged or out-of-order record
     * and everything after it (a torn or corrupt tail) is cut off, with one WARN line giving the
     * bytes dropped. Does not create a segment: see {@link #startAt} when {@link #isEmpty()}.
     */
    public static SegmentedLog open(Path dir, long segmentBytes, SegmentChannelFactory channels) throws IOException {
        SegmentedLog log = new SegmentedLog(dir, segmentBytes, channels);
        log.recover();
        return log;
    }

    private void recover() throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "log-*.seg")) {
            for (Path p : ds) {
                if (NAME.matcher(p.getFileName().toString()).matches()) {
                    files.add(p);
                }
            }
        }
        files.sort(null); // zero-padded base offsets sort as numbers
        long dropped = 0;
        String reason = null;
        int i = 0;
        for (; i < files.size() && reason == null; i++) {
            Path p = files.get(i);
            Matcher m = NAME.matcher(p.getFileName().toString());
            m.matches();
            long nameBase = Long.parseLong(m.group(1));
            FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
            long fileSize = ch.size();
            ByteBuffer header = ByteBuffer.allocate(SEGMENT_HEADER_BYTES);
            while (header.hasRemaining() && ch.read(header, header.position()) > 0) {
                // read the header fully
            }
            header.flip();
            String headerProblem = checkHeader(header, nameBase);
            Segment previous = segments.isEmpty() ? null : segments.get(segments.size() - 1);
            if (headerProblem == null && previous != null && previous.lastOffset != nameBase) {
                headerProblem = "segment " + p.getFileName() + " starts after offset " + nameBase
                        + " but the previous segment ends at " + previous.lastOffset;
            }
            if (headerProblem != null) {
                ch.close();
                dropped += fileSize;
                Files.delete(p);
                reason = headerProblem;
                continue;
            }
            Segment s = new Segment(p, nameBase, header.getLong(16), ch);
            segments.add(s);
            SegmentReader reader = new SegmentReader(ch, SEGMENT_HEADER_BYTES, fileSize);
            long expected = nameBase + 1;
            while (true) {
                long at = reader.position();
                LogRecord rec;
                try {
                    rec = reader.next();
                } catch (RecordCodec.CorruptRecordException e) {
                    reason = e.getMessage() + " at byte " + at + " of " + p.getFileName();
                    break;
                }
                if (rec == null) {
                    break;
                }
                if (rec.offset() != expected) {
                    reason = "record at byte " + at + " of " + p.getFileName() + " has offset " + rec.offset()
                            + ", expected " + expected;
                    break;
                }
                s.addIndex(rec.offset(), at);
                s.lastOffset = rec.offset();
                s.lastEpoch = rec.epoch();
                expected++;
            }
            long good = reader.position();
            s.size = good;
            if (good < fileSize) {
                dropped += fileSize - good;
                ch.truncate(good);
                ch.force(true);
            }
        }
        for (; i < files.size(); i++) {
            dropped += Files.size(files.get(i));
            Files.delete(files.get(i));
        }
        if (reason != null) {
            syncDirectory();
            LOG.warn(
                    "log recovery cut off a damaged tail: {} bytes dropped ({}); {} records kept up to offset {}",
                    dropped,
                    reason,
                    segments.isEmpty() ? 0 : lastOffset() - baseOffset(),
                    lastOffset());
        }
    }

    private static String checkHeader(ByteBuffer header, long nameBase) {
        if (header.remaining() < SEGMENT_HEADER_BYTES) {
            return "segment header torn (" + header.remaining() + " bytes)";
        }
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, SEGMENT_HEADER_BYTES - 4);
        if ((int) crc.getValue() != header.getInt(24)) {
            return "segment header crc mismatch";
        }
        if (header.getInt(0) != SEGMENT_MAGIC || header.getInt(4) != SEGMENT_VERSION) {
            return "segment header has a wrong magic or version";
        }
        if (header.getLong(8) != nameBase) {
            return "segment header base " + header.getLong(8) + " differs from its file name";
        }
        return null;
    }

    public boolean isEmpty() {
        segmentsLock.readLock().lock();
        try {
            return segments.isEmpty();
        } finally {
            segmentsLock.readLock().unlock();
        }
    }

    /** The log holds every record with an offset above this one. */
    public long baseOffset() {
        segmentsLock.readLock().lock();
        try {
            return segments.isEmpty() ? 0 : segments.get(0).baseOffset;
        } finally {
            segmentsLock.readLock().unlock();
        }
    }

    /** The epoch of the record at {@link #baseOffset()}. */
    public long baseEpoch() {
        segmentsLock.readLock().lock();
        try {
            return segments.isEmpty() ? 0 : segments.get(0).baseEpoch;
        } finally {
            segmentsLock.readLock().unlock();
        }
    }

    /** The offset of the last record written to the OS. */
    public long lastOffset() {
        segmentsLock.readLock().lock();
        try {
            return segments.isEmpty() ? 0 : segments.get(segments.size() - 1).lastOffset;
        } finally {
            segmentsLock.readLock().unlock();
        }
    }

    public long lastEpoch() {
        segmentsLock.readLock().lock();
        try {
            return segments.isEmpty() ? 0 : segments.get(segments.size() - 1).lastEpoch;
        } finally {
            segmentsLock.readLock().unlock();
        }
    }

    /** Bytes of all retained segments. */
    public long totalBytes() {
        segmentsLock.readLock().lock();
        try {
            long n = 0;
            for (Segment s : segments) {
                n += s.size;
            }
            return n;
        } finally {
            segmentsLock.readLock().unlock();
        }
    }

    public int segmentCount() {
        segmentsLock.readLock().lock();
        try {
            return segments.size();
        } finally {
            segmentsLock.readLock().unlock();
        }
    }

    /** Drops every segment and starts an empty log whose next record is baseOffset + 1. */
    public void startAt(long baseOffset, long baseEpoch) throws IOException {
        segmentsLock.writeLock().lock();
        try {
            for (Segment s : segments) {
                s.channel.close();
                Files.deleteIfExists(s.path);
            }
            segments.clear();
            segments.add(createSegment(baseOffset, baseEpoch));
        } finally {
            segmentsLock.writeLock().unlock();
        }
    }

    private Segment createSegment(long baseOffset, long baseEpoch) throws IOException {
        Path path = dir.resolve(String.format("log-%020d.seg", baseOffset));
        FileChannel ch = channels.create(path);
        try {
            ByteBuffer header = ByteBuffer.allocate(SEGMENT_HEADER_BYTES);
            header.putInt(SEGMENT_MAGIC)
                    .putInt(SEGMENT_VERSION)
                    .putLong(baseOffset)
                    .putLong(baseEpoch);
            CRC32C c = new CRC32C();
            c.update(header.array(), 0, SEGMENT_HEADER_BYTES - 4);
            header.putInt((int) c.getValue());
            header.flip();
            while (header.hasRemaining()) {
                ch.write(header, header.position());
            }
            // The header and the directory entry are forced once per segment, whatever the policy,
            // so a forced record is never in a file that recovery cannot find or read.
            ch.force(true);
            syncDirectory();
        } catch (IOException e) {
            ch.close();
            Files.deleteIfExists(path);
            throw e;
        }
        return new Segment(path, baseOffset, baseEpoch, ch);
    }

    /**
     * Appends a batch on the log thread with one write per segment touched: rolls to a new segment
     * (between records) whenever the active one reaches the segment size.
     */
    void append(Batch batch) throws IOException {
        ByteBuffer buf = batch.buf.duplicate();
        int i = 0;
        while (i < batch.records) {
            Segment s = active();
            if (s.size >= segmentBytes && s.lastOffset > s.baseOffset) {
                Segment next = createSegment(s.lastOffset, s.lastEpoch);
                segmentsLock.writeLock().lock();
                try {
                    segments.add(next);
                } finally {
                    segmentsLock.writeLock().unlock();
                }
                s = next;
            }
            // Records i..j-1 go to this segment: at least one, then as many as fit.
            long room = segmentBytes - s.size;
            int j = i + 1;
            while (j < batch.records && batch.end(j) - batch.positions[i] <= room) {
                j++;
            }
            long start = s.size;
            buf.limit(batch.end(j - 1)).position(batch.positions[i]);
            long at = start;
            while (buf.hasRemaining()) {
                at += s.channel.write(buf, at);
            }
            for (int k = i; k < j; k++) {
                s.addIndex(batch.firstOffset + k, start + batch.positions[k] - batch.positions[i]);
            }
            s.dirty.set(true);
            s.lastEpoch = batch.epoch(j - 1);
            s.lastOffset = batch.firstOffset + j - 1;
            s.size = at; // published last: readers trust bytes below size
            i = j;
        }
    }

    private Segment active() throws IOException {
        segmentsLock.readLock().lock();
        try {
            if (segments.isEmpty()) {
                throw new IOException("log has no segment");
            }
            return segments.get(segments.size() - 1);
        } finally {
            segmentsLock.readLock().unlock();
        }
    }

    /**
     * After a failed write: cuts the active segment back to its last whole chunk (a partial
     * write may have left bytes, even whole records, past it) and returns the last offset the
     * files hold. Cutting needs no space, so it works on a full disk.
     */
    long discardPartialWrite() throws IOException {
        segmentsLock.readLock().lock();
        try {
            if (segments.isEmpty()) {
                return 0;
            }
            Segment s = segments.get(segments.size() - 1);
            if (s.channel.size() > s.size) {
                s.channel.truncate(s.size);
            }
            return s.lastOffset;
        } finally {
            segmentsLock.readLock().unlock();
        }
    }

    /**
     * Forces every segment written since its last force. Returns whether anything was forced.
     * Neither the segments lock nor anything the log thread's appends take is held across the
     * force: a long one (a snapshot's barrier forcing all that fsync no left to the OS) does not
     * hold up writes, nor a roll to a new segment.
     */
    public boolean force() throws IOException {
        synchronized (forceLock) {
            List<Segment> dirty = new ArrayList<>(2);
            segmentsLock.readLock().lock();
            try {
                for (Segment s : segments) {
                    if (s.dirty.getAndSet(false)) {
                        dirty.add(s);
                    }
                }
            } finally {
                segmentsLock.readLock().unlock();
            }
            for (int i = 0; i < dirty.size(); i++) {
                Segment s = dirty.get(i);
                try {
                    s.channel.force(false);
                } catch (ClosedChannelException e) {
                    if (listed(s)) {
                        redirty(dirty, i);
                        throw e;
                    }
                    // Dropped or cut away meanwhile (retention, truncation): nothing of it is kept.
                } catch (IOException | RuntimeException e) {
                    redirty(dirty, i);
                    throw e;
                }
            }
            return !dirty.isEmpty();
        }
    }

    /** A force failed at dirty[from]: that segment and the ones after it are not forced. */
    private static void redirty(List<Segment> dirty, int from) {
        for (int i = from; i < dirty.size(); i++) {
            dirty.get(i).dirty.set(true);
        }
    }

    private boolean listed(Segment s) {
        segmentsLock.readLock().lock();
        try {
            return segments.contains(s);
        } finally {
            segmentsLock.readLock().unlock();
        }
    }

    /** Up to max written records with offsets above after, in order. */
    public List<LogRecord> read(long after, int max) throws TailNotRetainedException, IOException {
        List<LogRecord> out = new ArrayList<>(Math.min(max, 1024));
        scan(after, Long.MAX_VALUE, max, out::add);
        return out;
    }

    /** Feeds every written record with after &lt; offset &lt;= upTo to sink, in order. */
    public void replay(long after, long upTo, Consumer<LogRecord> sink) throws TailNotRetainedException, IOException {
        scan(after, upTo, Integer.MAX_VALUE, sink);
    }

    private void scan(long after, long upTo, int max, Consumer<LogRecord> sink)
            throws TailNotRetainedException, IOException {
        segmentsLock.readLock().lock();
        try {
            if (segments.isEmpty() || after < segments.get(0).baseOffset) {
                throw new TailNotRetainedException(after, segments.isEmpty() ? 0 : segments.get(0).baseOffset);
            }
            int first = segments.size() - 1;
            while (first > 0 && segments.get(first).baseOffset > after) {
                first--;
            }
            int count = 0;
            for (int i = first; i < segments.size() && count < max; i++) {
                Segment s = segments.get(i);
                long limit = s.size;
                SegmentReader reader = new SegmentReader(s.channel, s.positionAtOrBefore(after + 1, limit), limit);
                while (count < max) {
                    LogRecord rec;
                    try {
                        rec = reader.next();
                    } catch (RecordCodec.CorruptRecordException e) {
                        throw new IOException(
                                "log damaged at byte " + reader.position() + " of " + s.path + ": " + e.getMessage(),
                                e);
                    }
                    if (rec == null || rec.offset() > upTo) {
                        break;
                    }
                    if (rec.offset() > after) {
                        sink.accept(rec);
                        count++;
                    }
                }
                if (s.lastOffset >= upTo) {
                    break;
                }
            }
        } finally {
            segmentsLock.readLock().unlock();
        }
    }

    /**
     * Drops the oldest whole segments whose records all have offsets at or below coveredUpTo,
     * keeping at least retainBytes of newer segments; the active segment always stays.
     * Returns the bytes removed.
     */
    public long dropCovered(long coveredUpTo, long retainBytes) throws IOException {
        List<Path> dropped = new ArrayList<>();
        long removed = 0;
        segmentsLock.writeLock().lock();
        try {
            while (segments.size() > 1) {
                Segment oldest = segments.get(0);
                long newer = 0;
                for (int i = 1; i < segments.size(); i++) {
                    newer += segments.get(i).size;
                }
                if (segments.get(1).baseOffset > coveredUpTo || newer < retainBytes) {
                    break;
                }
                segments.remove(0);
                oldest.channel.close();
                dropped.add(oldest.path);
                removed += oldest.size;
            }
        } finally {
            segmentsLock.writeLock().unlock();
        }
        // Unlinked outside the lock: deleting a large file takes milliseconds, and the log thread
        // needs the read lock for every append. Files a crash leaves here are whole, older
        // segments: the next open keeps them and the next snapshot's retention drops them.
        for (Path p : dropped) {
            Files.deleteIfExists(p);
        }
        return removed;
    }

    /**
     * Cuts every record above offset from the files (deleting later segments, truncating the one
     * that holds offset) and forces the cut. The caller has let the log thread write everything.
     */
    public void truncateAfter(long offset) throws IOException {
        segmentsLock.writeLock().lock();
        try {
            if (segments.isEmpty() || offset < segments.get(0).baseOffset) {
                throw new IOException("cannot cut the log after offset " + offset + ": it starts after "
                        + (segments.isEmpty() ? 0 : segments.get(0).baseOffset));
            }
            while (segments.size() > 1 && segments.get(segments.size() - 1).baseOffset >= offset) {
                Segment last = segments.remove(segments.size() - 1);
                last.channel.close();
                Files.deleteIfExists(last.path);
            }
            Segment s = segments.get(segments.size() - 1);
            long limit = s.size;
            SegmentReader reader = new SegmentReader(s.channel, s.positionAtOrBefore(offset, limit), limit);
            long cut = SEGMENT_HEADER_BYTES;
            long epoch = s.baseEpoch;
            long last = s.baseOffset;
            if (offset > s.baseOffset) {
                while (true) {
                    LogRecord rec;
                    try {
                        rec = reader.next();
                    } catch (RecordCodec.CorruptRecordException e) {
                        throw new IOException("log damaged in " + s.path + ": " + e.getMessage(), e);
                    }
                    if (rec == null || rec.offset() > offset) {
                        break;
                    }
                    cut = reader.position();
                    epoch = rec.epoch();
                    last = rec.offset();
                }
            }
            if (last != offset) {
                throw new IOException("log does not hold offset " + offset + " (ends at " + last + ")");
            }
            s.channel.truncate(cut);
            s.channel.force(true);
            s.dropIndexFrom(cut);
            s.size = cut;
            s.lastOffset = offset;
            s.lastEpoch = epoch;
            syncDirectory();
        } finally {
            segmentsLock.writeLock().unlock();
        }
    }

    /** Makes file creations, renames and deletions in the data directory durable. */
    public void syncDirectory() throws IOException {
        syncDirectory(dir);
    }

    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Override
    public void close() throws IOException {
        segmentsLock.writeLock().lock();
        try {
            IOException first = null;
            for (Segment s : segments) {
                try {
                    s.channel.close();
                } catch (IOException e) {
                    first = first == null ? e : first;
                }
            }
            segments.clear();
            if (first != null) {
                throw first;
            }
        } finally {
            segmentsLock.writeLock().unlock();
        }
    }
}
