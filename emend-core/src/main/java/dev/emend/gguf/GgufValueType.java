package dev.emend.gguf;

/** The type of a GGUF metadata value ({@code gguf_type}), with the fixed size of its scalar encoding. */
public enum GgufValueType {
    UINT8(1),
    INT8(1),
    UINT16(2),
    INT16(2),
    UINT32(4),
    INT32(4),
    FLOAT32(4),
    BOOL(1),
    /** uint64 byte length, then UTF-8 bytes without a terminator. */
    STRING(-1),
    /** uint32 element type, uint64 element count, then the elements. */
    ARRAY(-1),
    UINT64(8),
    INT64(8),
    FLOAT64(8);

    private static final GgufValueType[] VALUES = values();

    private final int size;

    GgufValueType(int size) {
        this.size = size;
    }

    /** @return the id stored in the file (the ordinal: UINT8 = 0 .. FLOAT64 = 12) */
    public int id() {
        return ordinal();
    }

    /** @return bytes of one scalar value, or -1 for STRING and ARRAY */
    public int size() {
        return size;
    }

    /** @return the fewest bytes one value of this type can occupy (a string: its length field; an array: type + count) */
    int minBytes() {
        return switch (this) {
            case STRING -> 8;
            case ARRAY -> 12;
            default -> size;
        };
    }

    /** @return true for the eight integer types */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** @return true for FLOAT32 and FLOAT64 */
    public boolean isFloat() {
        return this == FLOAT32 || this == FLOAT64;
    }

    /**
     * Looks a type up by id.
     *
     * @param id the id read from the file (unsigned 32-bit)
     * @return the type, or null if GGUF defines none with this id
     */
    public static GgufValueType byId(long id) {
        return id >= 0 && id < VALUES.length ? VALUES[(int) id] : null;
    }
}
