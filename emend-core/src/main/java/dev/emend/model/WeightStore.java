package dev.emend.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.emend.tensor.StorageType;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A model's named parameters. Loaded values live in a capped manager (memory-mapped when the stored type equals the
 * compute type) and are never written: an edit {@link #replace replaces} a parameter with a new array owned by the
 * store, and a revert puts the original array back, bit for bit.
 */
public final class WeightStore implements AutoCloseable {
    private final NDManager root;
    private final NDManager loaded;
    private final NDManager owned;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final DataType computeType;

    private static final class Entry {
        final NDArray original;
        final StorageType stored;
        final Path file;
        NDArray current;

        Entry(NDArray original, StorageType stored, Path file) {
            this.original = original;
            this.current = original;
            this.stored = stored;
            this.file = file;
        }
    }

    /**
     * Creates an empty store. Call {@link #addLoaded} for each tensor, then {@link #seal}.
     *
     * @param root the model's root manager (closed by {@link #close})
     * @param computeType FLOAT32 or FLOAT16
     */
    public WeightStore(NDManager root, DataType computeType) {
        this.root = root;
        this.loaded = root.newSubManager();
        this.owned = root.newSubManager();
        this.computeType = computeType;
    }

    /** @return the manager loaded tensors must be created in */
    public NDManager loadManager() {
        return loaded;
    }

    /**
     * Registers a loaded tensor.
     *
     * @param name checkpoint name
     * @param array the value, created in {@link #loadManager()}
     * @param stored how the file stores it
     * @param file the file it came from
     */
    public void addLoaded(String name, NDArray array, StorageType stored, Path file) {
        entries.put(name, new Entry(array, stored, file));
    }

    /** Caps the load manager: any op that would attach a result to a weight's manager now fails loudly. */
    public void seal() {
        loaded.cap();
    }

    /** @return true if {@link #seal} was called */
    public boolean isSealed() {
        try {
            loaded.attachInternal("probe-" + System.nanoTime());
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    /**
     * @param name a parameter name
     * @return its current value
     * @throws IllegalArgumentException for unknown names
     */
    public NDArray get(String name) {
        return entry(name).current;
    }

    /** @param name a parameter name @return its value as loaded */
    public NDArray original(String name) {
        return entry(name).original;
    }

    /** @param name a parameter name @return true if present */
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** @return parameter names in checkpoint order */
    public Set<String> names() {
        return Collections.unmodifiableSet(entries.keySet());
    }

    /** @param name a parameter name @return the type the file stores it as */
    public StorageType storedType(String name) {
        return entry(name).stored;
    }

    /** @param name a parameter name @return the file it was loaded from */
    public Path file(String name) {
        return entry(name).file;
    }

    /** @param name a parameter name @return true if the current value is not the loaded one */
    public boolean isModified(String name) {
        Entry e = entry(name);
        return e.current != e.original;
    }

    /** @return names whose current value differs from the loaded one */
    public Set<String> modified() {
        Set<String> out = new LinkedHashSet<>();
        entries.forEach((k, e) -> {
            if (e.current != e.original) {
                out.add(k);
            }
        });
        return out;
    }

    /**
     * Replaces a parameter's value. The new array is attached to the store; the previous one is returned untouched
     * (the caller keeps it to revert, or {@link #release releases} it).
     *
     * @param name a parameter name
     * @param value same shape and type as the current value
     * @return the previous value
     */
    public NDArray replace(String name, NDArray value) {
        Entry e = entry(name);
        if (!value.getShape().equals(e.current.getShape()) || value.getDataType() != e.current.getDataType()) {
            throw new IllegalArgumentException("cannot replace %s %s %s with %s %s".formatted(name, e.current.getShape(),
                    e.current.getDataType(), value.getShape(), value.getDataType()));
        }
        NDArray previous = e.current;
        if (value != e.original && value.getManager() != owned) {
            value.attach(owned);
        }
        e.current = value;
        return previous;
    }

    /**
     * Frees a value that was put in with {@link #replace} and is no longer current. Loaded values are never freed.
     *
     * @param value a previously current value
     */
    public void release(NDArray value) {
        for (Entry e : entries.values()) {
            if (e.original == value) {
                return;
            }
            if (e.current == value) {
                throw new IllegalStateException("cannot release the current value of a parameter");
            }
        }
        value.close();
    }

    /** @return the compute type */
    public DataType computeType() {
        return computeType;
    }

    /** @return total number of elements */
    public long parameterCount() {
        long n = 0;
        for (Entry e : entries.values()) {
            n += e.current.size();
        }
        return n;
    }

    /** @return bytes of the current values in memory */
    public long bytes() {
        long n = 0;
        for (Entry e : entries.values()) {
            n += e.current.size() * e.current.getDataType().getNumOfBytes();
        }
        return n;
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no parameter named '%s' (%d parameters; first: %s)"
                    .formatted(name, entries.size(), entries.keySet().stream().limit(3).toList()));
        }
        return e;
    }

    /** Frees every array of the model. */
    @Override
    public void close() {
        root.close();
    }
}
