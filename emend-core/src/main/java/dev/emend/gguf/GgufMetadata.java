package dev.emend.gguf;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The key-value metadata of a GGUF file, in file order, with typed accessors. Integer getters accept any of the
 * eight integer types as long as the value fits (writers disagree on UINT32 vs INT32 vs UINT64); every other
 * mismatch, and a missing key, is a {@link GgufException} naming the file, the key, its byte offset and the expected
 * and actual types.
 */
public final class GgufMetadata {
    /**
     * One stored value.
     *
     * @param type its GGUF type
     * @param value Long (every integer type; raw bits for UINT64), Float, Double, Boolean, String or GgufArray
     * @param offset absolute byte offset of the entry (its key) in the file
     */
    record Entry(GgufValueType type, Object value, long offset) {}

    private final Path file;
    private final Map<String, Entry> entries;

    GgufMetadata(Path file, Map<String, Entry> entries) {
        this.file = file;
        this.entries = Collections.unmodifiableMap(entries);
    }

    /** @return the keys in file order */
    public Set<String> keys() {
        return entries.keySet();
    }

    /** @return the number of entries */
    public int size() {
        return entries.size();
    }

    /**
     * @param key a metadata key
     * @return true if the file has it
     */
    public boolean has(String key) {
        return entries.containsKey(key);
    }

    /**
     * @param key a metadata key
     * @return its type, or null if absent
     */
    public GgufValueType type(String key) {
        Entry e = entries.get(key);
        return e == null ? null : e.type();
    }

    /**
     * Returns a value boxed, without conversion.
     *
     * @param key a metadata key
     * @return Long (every integer type; raw bits for UINT64), Float, Double, Boolean, String or GgufArray; null if
     *     absent
     */
    public Object get(String key) {
        Entry e = entries.get(key);
        return e == null ? null : e.value();
    }

    /**
     * @param key a metadata key
     * @return its STRING value
     * @throws GgufException if absent or not a string
     */
    public String getString(String key) {
        return (String) require(key, GgufValueType.STRING == type(key), "a STRING").value();
    }

    /**
     * @param key a metadata key
     * @param fallback returned when the key is absent
     * @return its STRING value, or {@code fallback}
     * @throws GgufException if present but not a string
     */
    public String getString(String key, String fallback) {
        return has(key) ? getString(key) : fallback;
    }

    /**
     * @param key a metadata key
     * @return its value, of any integer type, as a long
     * @throws GgufException if absent, not an integer, or a UINT64 above {@code Long.MAX_VALUE}
     */
    public long getLong(String key) {
        Entry e = require(key, has(key) && type(key).isInteger(), "an integer (UINT8..INT64)");
        long v = (Long) e.value();
        if (e.type() == GgufValueType.UINT64 && v < 0) {
            throw outOfRange(key, e, Long.toUnsignedString(v), "a signed 64-bit long");
        }
        return v;
    }

    /**
     * @param key a metadata key
     * @param fallback returned when the key is absent
     * @return its integer value, or {@code fallback}
     */
    public long getLong(String key, long fallback) {
        return has(key) ? getLong(key) : fallback;
    }

    /**
     * @param key a metadata key
     * @return its value, of any integer type, as an int
     * @throws GgufException if absent, not an integer, or out of int range
     */
    public int getInt(String key) {
        Entry e = require(key, has(key) && type(key).isInteger(), "an integer (UINT8..INT64)");
        long v = (Long) e.value();
        if ((e.type() == GgufValueType.UINT64 && v < 0) || v != (int) v) {
            throw outOfRange(key, e, e.type() == GgufValueType.UINT64 ? Long.toUnsignedString(v) : Long.toString(v),
                    "a 32-bit int");
        }
        return (int) v;
    }

    /**
     * @param key a metadata key
     * @param fallback returned when the key is absent
     * @return its integer value, or {@code fallback}
     */
    public int getInt(String key, int fallback) {
        return has(key) ? getInt(key) : fallback;
    }

    /**
     * @param key a metadata key
     * @return its FLOAT32 value, or its FLOAT64 value rounded to float
     * @throws GgufException if absent or not floating point
     */
    public float getFloat(String key) {
        Entry e = require(key, has(key) && type(key).isFloat(), "a FLOAT32 or FLOAT64");
        return ((Number) e.value()).floatValue();
    }

    /**
     * @param key a metadata key
     * @param fallback returned when the key is absent
     * @return its floating-point value, or {@code fallback}
     */
    public float getFloat(String key, float fallback) {
        return has(key) ? getFloat(key) : fallback;
    }

    /**
     * @param key a metadata key
     * @return its FLOAT32 or FLOAT64 value (exact)
     * @throws GgufException if absent or not floating point
     */
    public double getDouble(String key) {
        Entry e = require(key, has(key) && type(key).isFloat(), "a FLOAT32 or FLOAT64");
        return ((Number) e.value()).doubleValue();
    }

    /**
     * @param key a metadata key
     * @return its BOOL value
     * @throws GgufException if absent or not a boolean
     */
    public boolean getBool(String key) {
        return (Boolean) require(key, type(key) == GgufValueType.BOOL, "a BOOL").value();
    }

    /**
     * @param key a metadata key
     * @param fallback returned when the key is absent
     * @return its BOOL value, or {@code fallback}
     */
    public boolean getBool(String key, boolean fallback) {
        return has(key) ? getBool(key) : fallback;
    }

    /**
     * @param key a metadata key
     * @return its ARRAY value
     * @throws GgufException if absent or not an array
     */
    public GgufArray getArray(String key) {
        return (GgufArray) require(key, type(key) == GgufValueType.ARRAY, "an ARRAY").value();
    }

    /**
     * @param key a metadata key
     * @return the elements of its array of strings
     * @throws GgufException if absent, not an array, or not of strings
     */
    public String[] getStringArray(String key) {
        return getArray(key).asStrings();
    }

    /**
     * @param key a metadata key
     * @return the elements of its array of integers, each fitting in an int
     * @throws GgufException if absent, not an array of integers, or an element does not fit
     */
    public int[] getIntArray(String key) {
        return getArray(key).asInts();
    }

    /**
     * @param key a metadata key
     * @return the elements of its array of integers
     * @throws GgufException if absent or not an array of integers
     */
    public long[] getLongArray(String key) {
        return getArray(key).asLongs();
    }

    /**
     * @param key a metadata key
     * @return the elements of its array of floats
     * @throws GgufException if absent or not an array of FLOAT32 or FLOAT64
     */
    public float[] getFloatArray(String key) {
        return getArray(key).asFloats();
    }

    private Entry require(String key, boolean ok, String expected) {
        Entry e = entries.get(key);
        if (e == null) {
            throw new GgufException(("%s: metadata key '%s' is missing (%s); check that this GGUF file holds the kind of "
                    + "model you expect, or re-convert it with a current llama.cpp (convert_hf_to_gguf.py)")
                    .formatted(file, key, neighbours(key)));
        }
        if (!ok) {
            throw new GgufException(("%s: metadata key '%s' (byte %d) is %s %s, but %s was expected; the file does not "
                    + "follow the GGUF convention for this key. Re-convert the model with a current llama.cpp "
                    + "(convert_hf_to_gguf.py).").formatted(file, key, e.offset(), article(e.type()), describe(e),
                            expected));
        }
        return e;
    }

    private static String article(GgufValueType t) {
        return t == GgufValueType.ARRAY || t == GgufValueType.INT8 || t == GgufValueType.INT16
                || t == GgufValueType.INT32 || t == GgufValueType.INT64 ? "an" : "a";
    }

    private static String describe(Entry e) {
        if (e.type() == GgufValueType.ARRAY) {
            GgufArray a = (GgufArray) e.value();
            return "ARRAY of " + a.size() + " " + a.elementType();
        }
        String v = e.type() == GgufValueType.UINT64 ? Long.toUnsignedString((Long) e.value())
                : String.valueOf(e.value());
        if (v.length() > 60) {
            v = v.substring(0, 60) + "...";
        }
        return e.type() + (e.type() == GgufValueType.STRING ? " \"" + v + "\"" : " " + v);
    }

    private String neighbours(String key) {
        int dot = key.indexOf('.');
        String prefix = dot < 0 ? key : key.substring(0, dot + 1);
        String near = entries.keySet().stream().filter(k -> k.startsWith(prefix)).limit(12)
                .collect(Collectors.joining(", "));
        return near.isEmpty() ? "the file has " + entries.size() + " keys, none starting with '" + prefix + "'"
                : "keys starting with '" + prefix + "': " + near;
    }

    private GgufException outOfRange(String key, Entry e, String value, String target) {
        return new GgufException(("%s: metadata key '%s' (byte %d) is %s %s, which does not fit in %s; the value is "
                + "corrupt. Re-download or re-convert the model.").formatted(file, key, e.offset(), e.type(), value,
                        target));
    }

    @Override
    public String toString() {
        return entries.entrySet().stream().map(en -> en.getKey() + "=" + describe(en.getValue()))
                .collect(Collectors.joining(", ", "{", "}"));
    }
}
