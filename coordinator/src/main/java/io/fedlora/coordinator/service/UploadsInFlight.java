package io.fedlora.coordinator.service;

import io.fedlora.coordinator.CoordinatorException.ResourceExhausted;
import io.fedlora.proto.v1.UpdateHeader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One upload at a time per node, job and round. An accepted header makes the coordinator buffer a
 * whole update; without this a selected node could open many uploads for its one slot and make it
 * buffer as many copies. With it, buffered uploads never exceed the cohorts of the running rounds.
 */
final class UploadsInFlight {

    private final Set<String> open = ConcurrentHashMap.newKeySet();

    /** Claims the header's slot; the returned action gives it back (once, however often it runs). */
    Runnable claim(UpdateHeader h) {
        String slot = h.getNodeId() + "/" + h.getJobId() + "/" + h.getRound();
        if (!open.add(slot)) {
            throw new ResourceExhausted("upload: node " + h.getNodeId() + " already has an upload for job "
                    + h.getJobId() + " round " + h.getRound() + " in progress; retry when it has ended");
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                open.remove(slot);
            }
        };
    }

    /** Uploads being received now (for tests). */
    int size() {
        return open.size();
    }
}
