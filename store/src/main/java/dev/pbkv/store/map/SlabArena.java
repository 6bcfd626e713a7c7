package dev.pbkv.store.map;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The memory that holds every key and value: a few large on-heap {@code byte[]} slabs (see
 * docs/store.md for why on-heap), each allocated when a page of it is first handed out (zeroing
 * 256 MiB at construction was a sixth of a node's start; the constructor refuses a size above the
 * maximum heap), cut into pages of
 * {@link #pageSize()} bytes. A page is given to one size class on demand and cut into equal
 * slots; classes grow by about 1.25x from {@link #MIN_SLOT} bytes up to a whole page. A freed slot
 * goes back on its page's free list; a page whose last item is freed goes back to the shared pool
 * of free pages, from where any class may take it. No Java object exists per item.
 *
 * <p>An item is addressed by a {@code long}: page index * pageSize + offset in the page (always a
 * multiple of 8). Layout of an item in its slot, little-endian:
 * <pre>
 *   0  long  write offset (the log offset of the entry's last write)
 *   8  int   key length
 *  12  int   value length
 *  16  long  deadline (epoch milliseconds of the primary's clock after which the entry is expired; 0: none)
 *  24        key bytes, then value bytes
 * </pre>
 * A free slot holds in its first 4 bytes the index of the next free slot of its page (-1 ends).
 *
 * <p>Thread safety: {@link #allocate}, {@link #free}, {@link #reset}, the slabs' allocation and
 * the accounting take {@link #lock}. A slab is allocated before any address in it is handed out,
 * so a bucket's lock orders it before every access; only optimistic readers may see a slab not
 * allocated yet (null), and the {@code safe*} readers treat that as an impossible address. The
 * bytes of a live item belong to the bucket whose table points at it, and are
 * read and written under that bucket's lock (or read optimistically and validated, which is why the
 * {@code safe*} readers check every bound: they may see a slot that is being rewritten).
 */
final class SlabArena {
    static final int HEADER = 24;
    static final int MIN_SLOT = 48;
    static final double GROWTH = 1.25;
    /** Pages are this big unless the arena is smaller. Big enough for 1 MiB values plus a 1 KiB key. */
    static final int DEFAULT_PAGE_SIZE = 2 << 20;
    /**
     * Slabs (the byte[] arrays) are this big, except the last one; a power of two and a page multiple.
     * Small enough that the write which needs a new one pays little for its page faults (a 64 MiB
     * slab took 0.09 s to allocate).
     */
    static final int SLAB_BYTES = 8 << 20;

    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** Allocated on demand ({@link #ensureSlab}) under {@link #lock}; null until then. */
    private final byte[][] slabs;

    private final int slabShift;
    private final long slabMask;
    private final int pageSize;
    private final int pageShift;
    private final int pageCount;
    private final int[] classSize;
    private final int[] slotsPerPage;

    /**
     * Guards the allocator state below (page assignment, per-page free lists, the free-page pool,
     * usedBytes). Held only for O(1) list operations; never while a bucket lock is requested.
     */
    private final Object lock = new Object();
    /** Class of each page, -1 when the page is in the free pool. */
    private final int[] pageClass;
    /** Live items in each page. */
    private final int[] pageLive;
    /** First free slot index of each page's free list, -1 when empty. */
    private final int[] pageFreeHead;
    /** Slots of each page never handed out yet start at this index. */
    private final int[] pageBump;
    /** Doubly linked list, per class, of the pages that have a free slot. */
    private final int[] pagePrev;

    private final int[] pageNext;
    private final int[] classPartialHead;
    /** Stack of free pages. */
    private final int[] freePages;

    private int freePageCount;
    private long usedBytes;

    SlabArena(long memoryBytes, int requestedPageSize) {
        if (Integer.bitCount(requestedPageSize) != 1 || requestedPageSize < 4096) {
            throw new IllegalArgumentException("page size must be a power of two >= 4096, was " + requestedPageSize);
        }
        this.pageSize = (int) Math.min(requestedPageSize, Long.highestOneBit(memoryBytes));
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        long pages = memoryBytes / pageSize;
        if (pages > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("store.memory too large: " + memoryBytes);
        }
        this.pageCount = (int) pages;
        int slabBytes = Math.max(SLAB_BYTES, pageSize);
        this.slabShift = Integer.numberOfTrailingZeros(slabBytes);
        this.slabMask = slabBytes - 1L;
        long total = (long) pageCount * pageSize;
        int slabCount = (int) ((total + slabBytes - 1) / slabBytes);
        if (total > Runtime.getRuntime().maxMemory()) {
            throw new IllegalStateException(
                    "store.memory = " + memoryBytes + " bytes is more than the whole Java heap (max "
                            + Runtime.getRuntime().maxMemory() + " bytes): raise -Xmx or lower store.memory");
        }
        this.slabs = new byte[slabCount][];

        int[] sizes = new int[64];
        int n = 0;
        int size = Math.min(MIN_SLOT, pageSize);
        while (size < pageSize) {
            sizes[n++] = size;
            size = Math.max(size + 8, (int) (size * GROWTH + 7) & ~7);
        }
        sizes[n++] = pageSize;
        this.classSize = Arrays.copyOf(sizes, n);
        this.slotsPerPage = new int[n];
        for (int c = 0; c < n; c++) {
            slotsPerPage[c] = pageSize / classSize[c];
        }

        this.pageClass = new int[pageCount];
        this.pageLive = new int[pageCount];
        this.pageFreeHead = new int[pageCount];
        this.pageBump = new int[pageCount];
        this.pagePrev = new int[pageCount];
        this.pageNext = new int[pageCount];
        this.classPartialHead = new int[n];
        this.freePages = new int[pageCount];
        reset();
    }

    /** Frees every item. The caller guarantees no bucket points into the arena any more. */
    void reset() {
        synchronized (lock) {
            Arrays.fill(pageClass, -1);
            Arrays.fill(classPartialHead, -1);
            for (int i = 0; i < pageCount; i++) {
                freePages[i] = pageCount - 1 - i;
            }
            freePageCount = pageCount;
            usedBytes = 0;
        }
    }

    int pageSize() {
        return pageSize;
    }

    long capacityBytes() {
        return (long) pageCount * pageSize;
    }

    /** The largest item (header + key + value) a slot can hold: one whole page. */
    int maxItemSize() {
        return pageSize;
    }

    /** How many slabs are allocated so far (they are allocated on first use). */
    int allocatedSlabs() {
        synchronized (lock) {
            return (int) Arrays.stream(slabs).filter(slab -> slab != null).count();
        }
    }

    int[] classSizes() {
        return classSize.clone();
    }

    long usedBytes() {
        synchronized (lock) {
            return usedBytes;
        }
    }

    int freePages() {
        synchronized (lock) {
            return freePageCount;
        }
    }

    /** The size class whose slots hold an item of itemSize bytes (itemSize <= maxItemSize). */
    int classOf(long itemSize) {
        int i = Arrays.binarySearch(classSize, (int) itemSize);
        return i >= 0 ? i : -i - 1;
    }

    /**
     * The slot size of the live item at address. Caller holds the owning bucket's lock. No arena
     * lock needed: a page's class is set (under the arena lock) before any item of it is published
     * in a bucket, and cannot change while the page holds that live item.
     */
    int slotSizeOf(long address) {
        return classSize[pageClass[(int) (address >>> pageShift)]];
    }

    /** Allocates a slot for an item of itemSize bytes; returns its address, or -1 when no room. */
    long allocate(long itemSize) {
        int c = classOf(itemSize);
        synchronized (lock) {
            int p = classPartialHead[c];
            if (p < 0) {
                if (freePageCount == 0) {
                    return -1;
                }
                if (!ensureSlab(slabOf((long) freePages[freePageCount - 1] << pageShift))) {
                    return -1;
                }
                p = freePages[--freePageCount];
                pageClass[p] = c;
                pageLive[p] = 0;
                pageFreeHead[p] = -1;
                pageBump[p] = 0;
                linkPartial(c, p);
            }
            int slot = pageFreeHead[p];
            long pageBase = (long) p << pageShift;
            if (slot >= 0) {
                long address = pageBase + (long) slot * classSize[c];
                pageFreeHead[p] = (int) INT_LE.get(slabs[slabOf(address)], offsetIn(address));
            } else {
                slot = pageBump[p]++;
            }
            pageLive[p]++;
            if (pageFreeHead[p] < 0 && pageBump[p] == slotsPerPage[c]) {
                unlinkPartial(c, p);
            }
            usedBytes += classSize[c];
            return pageBase + (long) slot * classSize[c];
        }
    }

    /** Returns the slot at address to its class; an emptied page goes back to the free pool. */
    void free(long address) {
        int p = (int) (address >>> pageShift);
        synchronized (lock) {
            int c = pageClass[p];
            int slot = (int) ((address & (pageSize - 1)) / classSize[c]);
            boolean wasFull = pageFreeHead[p] < 0 && pageBump[p] == slotsPerPage[c];
            pageLive[p]--;
            usedBytes -= classSize[c];
            if (pageLive[p] == 0) {
                if (!wasFull) {
                    unlinkPartial(c, p);
                }
                pageClass[p] = -1;
                freePages[freePageCount++] = p;
                return;
            }
            INT_LE.set(slabs[slabOf(address)], offsetIn(address), pageFreeHead[p]);
            pageFreeHead[p] = slot;
            if (wasFull) {
                linkPartial(c, p);
            }
        }
    }

    private void linkPartial(int c, int p) {
        int head = classPartialHead[c];
        pagePrev[p] = -1;
        pageNext[p] = head;
        if (head >= 0) {
            pagePrev[head] = p;
        }
        classPartialHead[c] = p;
    }

    private void unlinkPartial(int c, int p) {
        int prev = pagePrev[p];
        int next = pageNext[p];
        if (prev >= 0) {
            pageNext[prev] = next;
        } else {
            classPartialHead[c] = next;
        }
        if (next >= 0) {
            pagePrev[next] = prev;
        }
    }

    /**
     * Allocates slab i unless it exists; false when the heap has no room for it (the write is
     * refused as out of memory, like a full arena, rather than failing with OutOfMemoryError).
     */
    private boolean ensureSlab(int i) {
        synchronized (lock) {
            if (slabs[i] != null) {
                return true;
            }
            try {
                long slabBytes = slabMask + 1;
                slabs[i] = new byte[(int) Math.min(slabBytes, capacityBytes() - i * slabBytes)];
                return true;
            } catch (OutOfMemoryError e) {
                return false;
            }
        }
    }

    private int slabOf(long address) {
        return (int) (address >>> slabShift);
    }

    private int offsetIn(long address) {
        return (int) (address & slabMask);
    }

    // ---- item bytes: callers hold the owning bucket's lock (write for writes) ----

    void writeItem(long address, byte[] key, byte[] value, long writeOffset, long deadline) {
        byte[] slab = slabs[slabOf(address)];
        int off = offsetIn(address);
        LONG_LE.set(slab, off, writeOffset);
        INT_LE.set(slab, off + 8, key.length);
        INT_LE.set(slab, off + 12, value.length);
        LONG_LE.set(slab, off + 16, deadline);
        System.arraycopy(key, 0, slab, off + HEADER, key.length);
        System.arraycopy(value, 0, slab, off + HEADER + key.length, value.length);
    }

    /** Replaces value, write offset and deadline in place; the slot must be big enough. */
    void overwriteValue(long address, byte[] value, long writeOffset, long deadline) {
        byte[] slab = slabs[slabOf(address)];
        int off = offsetIn(address);
        int keyLength = (int) INT_LE.get(slab, off + 8);
        LONG_LE.set(slab, off, writeOffset);
        INT_LE.set(slab, off + 12, value.length);
        LONG_LE.set(slab, off + 16, deadline);
        System.arraycopy(value, 0, slab, off + HEADER + keyLength, value.length);
    }

    long writeOffset(long address) {
        return (long) LONG_LE.get(slabs[slabOf(address)], offsetIn(address));
    }

    long deadline(long address) {
        return (long) LONG_LE.get(slabs[slabOf(address)], offsetIn(address) + 16);
    }

    /** Sets the deadline and the write offset of the item at address (expire, persist). */
    void setDeadline(long address, long deadline, long writeOffset) {
        byte[] slab = slabs[slabOf(address)];
        int off = offsetIn(address);
        LONG_LE.set(slab, off, writeOffset);
        LONG_LE.set(slab, off + 16, deadline);
    }

    byte[] key(long address) {
        byte[] slab = slabs[slabOf(address)];
        int off = offsetIn(address);
        int keyLength = (int) INT_LE.get(slab, off + 8);
        return Arrays.copyOfRange(slab, off + HEADER, off + HEADER + keyLength);
    }

    /** The hash of the key stored at address. */
    long keyHash(long address) {
        byte[] slab = slabs[slabOf(address)];
        int off = offsetIn(address);
        return KeyHash.of(slab, off + HEADER, (int) INT_LE.get(slab, off + 8));
    }

    byte[] value(long address) {
        byte[] slab = slabs[slabOf(address)];
        int off = offsetIn(address);
        int keyLength = (int) INT_LE.get(slab, off + 8);
        int valueLength = (int) INT_LE.get(slab, off + 12);
        int from = off + HEADER + keyLength;
        return Arrays.copyOfRange(slab, from, from + valueLength);
    }

    // ---- readers safe against a slot rewritten under them (optimistic reads) ----

    /** True when the item at address holds exactly key. Never throws, whatever the slot holds. */
    boolean safeKeyEquals(long address, byte[] key) {
        if (address < 0 || (address >>> slabShift) >= slabs.length) {
            return false;
        }
        byte[] slab = slabs[slabOf(address)];
        int off = offsetIn(address);
        if (slab == null || off > slab.length - HEADER - key.length) {
            return false;
        }
        if ((int) INT_LE.get(slab, off + 8) != key.length) {
            return false;
        }
        return Arrays.equals(slab, off + HEADER, off + HEADER + key.length, key, 0, key.length);
    }

    /**
     * A copy of the value of the item at address whose key has keyLength bytes, or null when the
     * slot's lengths are impossible (it was being rewritten). Never throws, never allocates more than
     * a page.
     */
    byte[] safeValue(long address, int keyLength) {
        if (address < 0 || (address >>> slabShift) >= slabs.length) {
            return null;
        }
        byte[] slab = slabs[slabOf(address)];
        int off = offsetIn(address);
        int from = off + HEADER + keyLength;
        if (slab == null || off > slab.length - HEADER || keyLength > slab.length - off - HEADER) {
            return null;
        }
        int valueLength = (int) INT_LE.get(slab, off + 12);
        if (valueLength < 0 || valueLength > slab.length - from || valueLength > pageSize) {
            return null;
        }
        return Arrays.copyOfRange(slab, from, from + valueLength);
    }

    /** The write offset at address, or 0 for an impossible address. Never throws. */
    long safeWriteOffset(long address) {
        if (address < 0 || (address >>> slabShift) >= slabs.length) {
            return 0;
        }
        byte[] slab = slabs[slabOf(address)];
        int off = offsetIn(address);
        return slab == null || off > slab.length - 8 ? 0 : (long) LONG_LE.get(slab, off);
    }

    /** The deadline at address, or 0 for an impossible address. Never throws. */
    long safeDeadline(long address) {
        if (address < 0 || (address >>> slabShift) >= slabs.length) {
            return 0;
        }
        byte[] slab = slabs[slabOf(address)];
        int off = offsetIn(address);
        return slab == null || off > slab.length - 24 ? 0 : (long) LONG_LE.get(slab, off + 16);
    }
}
