package dev.emend.gguf;

/**
 * An array value from GGUF metadata: an element type and the elements, held in one primitive Java array. Integer
 * elements of every width are held as {@code long} (a UINT64 element keeps its raw bits), FLOAT32 as {@code float},
 * FLOAT64 as {@code double}, BOOL as {@code boolean}, STRING as {@code String} and nested arrays as
 * {@code GgufArray}.
 *
 * <p>The typed accessors check the element type and fail with a {@link GgufException} that names the file, the key
 * and both types.
 */
public final class GgufArray {
    private final String where;
    private final GgufValueType elementType;
    private final Object data;
    private final int size;

    /**
     * @param where the file and key this array came from, for messages (e.g. {@code "m.gguf: metadata key 'x'"})
     * @param elementType the type of every element
     * @param data long[], float[], double[], boolean[], String[] or GgufArray[] as described above
     */
    GgufArray(String where, GgufValueType elementType, Object data) {
        this.where = where;
        this.elementType = elementType;
        this.data = data;
        this.size = java.lang.reflect.Array.getLength(data);
    }

    /** @return the element type */
    public GgufValueType elementType() {
        return elementType;
    }

    /** @return the number of elements */
    public int size() {
        return size;
    }

    /**
     * Returns one element boxed: Long for every integer type (raw bits for UINT64), Float, Double, Boolean, String
     * or GgufArray.
     *
     * @param index element index
     * @return the element
     */
    public Object get(int index) {
        return java.lang.reflect.Array.get(data, index);
    }

    /**
     * @return the elements of a STRING array (a copy)
     * @throws GgufException if the elements are not strings
     */
    public String[] asStrings() {
        require(elementType == GgufValueType.STRING, "strings");
        return ((String[]) data).clone();
    }

    /**
     * @return the elements of an array of any integer type (a copy)
     * @throws GgufException if the elements are not integers, or a UINT64 element exceeds {@code Long.MAX_VALUE}
     */
    public long[] asLongs() {
        require(elementType.isInteger(), "integers");
        long[] v = ((long[]) data).clone();
        if (elementType == GgufValueType.UINT64) {
            for (int i = 0; i < v.length; i++) {
                if (v[i] < 0) {
                    throw outOfRange(i, Long.toUnsignedString(v[i]), "a signed 64-bit integer");
                }
            }
        }
        return v;
    }

    /**
     * @return the elements of an array of any integer type, each of which must fit in an {@code int}
     * @throws GgufException if the elements are not integers or one does not fit
     */
    public int[] asInts() {
        require(elementType.isInteger(), "integers");
        long[] v = (long[]) data;
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            boolean negativeUnsigned = elementType == GgufValueType.UINT64 && v[i] < 0;
            if (negativeUnsigned || v[i] != (int) v[i]) {
                throw outOfRange(i, elementType == GgufValueType.UINT64 ? Long.toUnsignedString(v[i])
                        : Long.toString(v[i]), "a 32-bit int");
            }
            out[i] = (int) v[i];
        }
        return out;
    }

    /**
     * @return the elements of a FLOAT32 array, or of a FLOAT64 array rounded to float
     * @throws GgufException if the elements are not floating point
     */
    public float[] asFloats() {
        require(elementType.isFloat(), "floating-point numbers");
        if (elementType == GgufValueType.FLOAT32) {
            return ((float[]) data).clone();
        }
        double[] d = (double[]) data;
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (float) d[i];
        }
        return out;
    }

    /**
     * @return the elements of a FLOAT32 or FLOAT64 array as doubles (exact)
     * @throws GgufException if the elements are not floating point
     */
    public double[] asDoubles() {
        require(elementType.isFloat(), "floating-point numbers");
        if (elementType == GgufValueType.FLOAT64) {
            return ((double[]) data).clone();
        }
        float[] f = (float[]) data;
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i];
        }
        return out;
    }

    /**
     * @return the elements of a BOOL array (a copy)
     * @throws GgufException if the elements are not booleans
     */
    public boolean[] asBooleans() {
        require(elementType == GgufValueType.BOOL, "booleans");
        return ((boolean[]) data).clone();
    }

    /**
     * @return the elements of an array of arrays (a copy of the outer array)
     * @throws GgufException if the elements are not arrays
     */
    public GgufArray[] asArrays() {
        require(elementType == GgufValueType.ARRAY, "arrays");
        return ((GgufArray[]) data).clone();
    }

    private void require(boolean ok, String expected) {
        if (!ok) {
            throw new GgufException(("%s is an array of %s, but an array of %s was expected; the file does not follow "
                    + "the GGUF convention for this key. Re-convert the model with a current llama.cpp "
                    + "(convert_hf_to_gguf.py).").formatted(where, elementType, expected));
        }
    }

    private GgufException outOfRange(int index, String value, String target) {
        return new GgufException(("%s: element %d is %s, which does not fit in %s; the value is corrupt or not "
                + "meant to be read this way. Re-download or re-convert the model.").formatted(where, index, value,
                        target));
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder().append(elementType).append('[').append(size).append("] [");
        for (int i = 0; i < Math.min(size, 8); i++) {
            Object v = get(i);
            sb.append(i == 0 ? "" : ", ").append(v instanceof String ? "\"" + v + "\"" : v);
        }
        return sb.append(size > 8 ? ", ...]" : "]").toString();
    }
}
