package io.fedlora.client.agent;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** A bounded set of round keys: the oldest is forgotten first, so a long-lived agent does not grow. */
final class RememberedRounds {

    private static final int MAX_REMEMBERED = 1024;

    private final Set<String> keys = Collections.synchronizedSet(Collections.newSetFromMap(
            new LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> e) {
                    return size() > MAX_REMEMBERED;
                }
            }));

    /** True when the key was not remembered yet. */
    boolean add(String key) {
        return keys.add(key);
    }

    boolean contains(String key) {
        return keys.contains(key);
    }
}
