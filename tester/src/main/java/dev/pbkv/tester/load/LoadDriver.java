package dev.pbkv.tester.load;

/** Keeps a number of requests in flight until stopped, recording each into the stats. */
interface LoadDriver {

    /** Starts issuing requests; returns at once. */
    void start();

    /** Stops issuing, waits for the requests in flight to finish. */
    void stop() throws InterruptedException;
}
