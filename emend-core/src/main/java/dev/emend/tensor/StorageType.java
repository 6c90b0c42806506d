package dev.emend.tensor;

import ai.djl.ndarray.types.DataType;

/**
 * Element types a checkpoint file may store, with their size in bytes and the DJL type they load as.
 *
 * <p>BF16 has no DJL counterpart that the PyTorch engine accepts (it aborts the JVM), so it loads as FLOAT32 after
 * an exact widening in Java; see {@link Bf16}.
 */
public enum StorageType {
    F64(8, DataType.FLOAT64),
    F32(4, DataType.FLOAT32),
    F16(2, DataType.FLOAT16),
    BF16(2, DataType.FLOAT32),
    I64(8, DataType.INT64),
    I32(4, DataType.INT32),
    I8(1, DataType.INT8),
    U8(1, DataType.UINT8),
    BOOL(1, DataType.BOOLEAN);

    private final int bytes;
    private final DataType loadType;

    StorageType(int bytes, DataType loadType) {
        this.bytes = bytes;
        this.loadType = loadType;
    }

    /** @return bytes per element in the file */
    public int bytes() {
        return bytes;
    }

    /** @return the DJL type an array of this storage type is created as */
    public DataType loadType() {
        return loadType;
    }

    /** @return true for the floating-point types */
    public boolean isFloating() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /**
     * Parses a safetensors dtype string.
     *
     * @param name the dtype as written in a safetensors header, e.g. {@code "BF16"}
     * @return the type, or null if Emend cannot read it
     */
    public static StorageType fromSafetensors(String name) {
        for (StorageType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /**
     * The storage type an array of a DJL type is written as, if it is written unchanged.
     *
     * @param type a DJL data type
     * @return the matching storage type
     */
    public static StorageType of(DataType type) {
        return switch (type) {
            case FLOAT64 -> F64;
            case FLOAT32 -> F32;
            case FLOAT16 -> F16;
            case INT64 -> I64;
            case INT32 -> I32;
            case INT8 -> I8;
            case UINT8 -> U8;
            case BOOLEAN -> BOOL;
            default -> throw new IllegalArgumentException("no safetensors storage type for DJL type " + type);
        };
    }
}
