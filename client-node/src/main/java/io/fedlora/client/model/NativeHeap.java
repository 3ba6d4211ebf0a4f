package io.fedlora.client.model;

import com.sun.jna.Function;

/**
 * The C heap the engine allocates tensors from on CPU. glibc's malloc keeps freed blocks of up to
 * 32 MB in its heap for reuse (its mmap threshold rises to the largest block freed), so a step's
 * resident memory becomes the high-water mark of everything it ever had alive, fragmented; measured
 * on the 100M model, that doubled a checkpointed step's peak. {@link #trim()} hands the free pages
 * back ({@code malloc_trim(0)}, which also releases free pages inside the heap), so the peak is what is
 * alive. Elsewhere than glibc (macOS, musl) it does nothing.
 */
public final class NativeHeap {

    private static final Function MALLOC_TRIM = lookup();

    private NativeHeap() {}

    private static Function lookup() {
        try {
            return Function.getFunction("c", "malloc_trim");
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }

    /** Returns the heap's free pages to the system (a no-op without glibc). */
    public static void trim() {
        if (MALLOC_TRIM != null) {
            MALLOC_TRIM.invokeInt(new Object[] {0L});
        }
    }
}
