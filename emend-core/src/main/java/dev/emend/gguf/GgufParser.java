package dev.emend.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses and validates the header of a GGUF file (versions 2 and 3, little-endian): magic, version, counts,
 * metadata, tensor infos, alignment and data section. Nothing is allocated before its size has been checked
 * against the bytes that remain, so absurd counts and lengths fail with a {@link GgufException} instead of an
 * {@code OutOfMemoryError}; loops are bounded by the same checks, so no input hangs the parser.
 */
final class GgufParser {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    static final int MAX_DIMS = 4; // GGML_MAX_DIMS
    static final int MAX_NESTING = 16;
    private static final int MIN_KV_BYTES = 8 + 4 + 1; // key length, value type, smallest value
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8; // name length, n_dims, type, offset

    private final ByteBuffer buf;
    private final int limit;
    private final long fileSize;
    private final Path file;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder(); // reports malformed input
    private int pos;
    /** What is being read, for messages; set per entry so that nothing is formatted per element. */
    private String context = "the header";

    private GgufParser(ByteBuffer buf, long fileSize, Path file) {
        if (fileSize < 0) {
            throw new IllegalArgumentException("negative file size " + fileSize);
        }
        this.buf = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.limit = (int) Math.min(this.buf.limit(), fileSize);
        this.fileSize = fileSize;
        this.file = file;
    }

    /**
     * Parses a header.
     *
     * @param bytes the file's bytes from offset 0 (at least the whole header; index 0 is byte 0 whatever the
     *     buffer's position)
     * @param fileSize the file's total size, to check the data section
     * @param file the file name for messages
     * @return the parsed file
     */
    static GgufFile parse(ByteBuffer bytes, long fileSize, Path file) {
        ByteBuffer b = bytes.duplicate();
        b.position(0);
        return new GgufParser(b.slice(), fileSize, file).parse();
    }

    private GgufFile parse() {
        if (limit < 4) {
            throw fail("%s is %d bytes long, too short for the 4-byte GGUF magic; the file is truncated or not a GGUF "
                    + "file. Re-download it.", file, limit);
        }
        int magic = buf.getInt(0);
        if (magic != MAGIC) {
            throw fail("%s does not start with the GGUF magic \"GGUF\" (found %s); %s", file, hex(0, 4),
                    notGgufHint(magic));
        }
        context = "the version field";
        pos = 4;
        int version = i32();
        if (version != 2 && version != 3) {
            throw fail("%s: %s", file, versionProblem(version));
        }
        context = "the tensor count";
        long tensorCount = u64();
        context = "the metadata count";
        long kvCount = u64();
        long remaining = limit - pos;
        if (Long.compareUnsigned(kvCount, remaining / MIN_KV_BYTES) > 0) {
            throw fail("%s: the header (byte 16) declares %s metadata entries, but each takes at least %d bytes and only "
                    + "%d bytes follow; the file is corrupt or truncated. Re-download it.", file,
                    Long.toUnsignedString(kvCount), MIN_KV_BYTES, remaining);
        }
        Map<String, GgufMetadata.Entry> entries = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            int at = pos;
            context = "metadata entry %d of %d (byte %d)".formatted(i, kvCount, at);
            String key = string();
            context = "metadata key '%s' (byte %d)".formatted(key, at);
            if (entries.containsKey(key)) {
                throw fail("%s: %s appears twice; the file is corrupt. Re-convert or re-download it.", file, context);
            }
            long typeId = u32();
            GgufValueType type = GgufValueType.byId(typeId);
            if (type == null) {
                throw fail("%s: %s has value type %d, which GGUF does not define (0..12); the file is corrupt or from a "
                        + "newer GGUF version. Re-download it, or re-convert it with a current llama.cpp.", file,
                        context, typeId);
            }
            entries.put(key, new GgufMetadata.Entry(type, value(type, 0, context), at));
        }
        GgufMetadata metadata = new GgufMetadata(file, entries);
        long alignment = alignment(metadata);

        if (Long.compareUnsigned(tensorCount, (limit - pos) / MIN_TENSOR_INFO_BYTES) > 0) {
            throw fail("%s: the header (byte 8) declares %s tensors, but each tensor info takes at least %d bytes and only "
                    + "%d bytes follow the metadata (byte %d); the file is corrupt or truncated. Re-download it.", file,
                    Long.toUnsignedString(tensorCount), MIN_TENSOR_INFO_BYTES, limit - pos, pos);
        }

        List<GgufTensorInfo> tensors = new ArrayList<>((int) tensorCount);
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            int at = pos;
            context = "tensor info %d of %d (byte %d)".formatted(i, tensorCount, at);
            String name = string();
            context = "tensor '%s' (info at byte %d)".formatted(name, at);
            if (!names.add(name)) {
                throw fail("%s: %s: the name appears twice; the file is corrupt. Re-convert or re-download it.", file,
                        context);
            }
            tensors.add(tensorInfo(name, alignment));
        }
        long dataStart = (pos + alignment - 1) / alignment * alignment;
        checkData(tensors, dataStart);
        return new GgufFile(file, version, alignment, dataStart, fileSize, metadata, List.copyOf(tensors));
    }

    private long alignment(GgufMetadata metadata) {
        if (!metadata.has(GgufFile.ALIGNMENT_KEY)) {
            return GgufFile.DEFAULT_ALIGNMENT;
        }
        GgufValueType type = metadata.type(GgufFile.ALIGNMENT_KEY);
        if (type != GgufValueType.UINT32) { // llama.cpp and gguf-py accept only UINT32 here
            throw fail("%s: metadata key '%s' is %s, but GGUF requires a UINT32; the file was written by a non-conforming "
                    + "tool or is corrupt. Re-convert it with a current llama.cpp (convert_hf_to_gguf.py).", file,
                    GgufFile.ALIGNMENT_KEY, type);
        }
        long a = metadata.getLong(GgufFile.ALIGNMENT_KEY);
        if (a <= 0 || (a & (a - 1)) != 0 || a > 1L << 31) {
            throw fail("%s: metadata key '%s' is %d; the alignment must be a power of two (GGUF's default is 32); the "
                    + "file is corrupt. Re-convert or re-download it.", file, GgufFile.ALIGNMENT_KEY, a);
        }
        return a;
    }

    private GgufTensorInfo tensorInfo(String name, long alignment) {
        long nDims = u32();
        if (nDims > MAX_DIMS) {
            throw fail("%s: %s has %d dimensions; ggml allows at most %d. The file is corrupt; re-download it.", file,
                    context, nDims, MAX_DIMS);
        }
        long[] dims = new long[(int) nDims];
        long numel = 1;
        for (int d = 0; d < nDims; d++) {
            dims[d] = u64();
            if (dims[d] < 0) {
                throw fail("%s: %s: dimension %d is %s, which is absurd; the file is corrupt. Re-download it.", file,
                        context, d, Long.toUnsignedString(dims[d]));
            }
            try {
                numel = Math.multiplyExact(numel, dims[d]);
            } catch (ArithmeticException e) {
                throw fail("%s: %s: the element count of ne=%s overflows 64 bits; the file is corrupt. Re-download it.",
                        file, context, java.util.Arrays.toString(dims));
            }
        }
        int typeAt = pos;
        long typeId = u32();
        GgmlType type = GgmlType.byId(typeId);
        if (type == null) {
            throw fail("%s: %s has tensor type id %d (byte %d), which this reader does not know; the file is corrupt or "
                    + "uses a newer ggml type. Re-quantise it with llama.cpp's llama-quantize to one of: %s.", file,
                    context, typeId, typeAt, GgmlType.dequantizableNames());
        }
        long rowLength = nDims == 0 ? 1 : dims[0];
        if (rowLength % type.blockSize() != 0) {
            throw fail("%s: %s is %s with rows of %d elements (ne[0]), not a multiple of the %d-element block; the file "
                    + "is corrupt. Re-download or re-quantise it.", file, context, type, rowLength, type.blockSize());
        }
        try {
            Math.multiplyExact(numel / type.blockSize(), (long) type.typeSize());
        } catch (ArithmeticException e) {
            throw fail("%s: %s: %d elements of %s overflow a 64-bit byte count; the file is corrupt. Re-download it.",
                    file, context, numel, type);
        }
        int offsetAt = pos;
        long offset = u64();
        if (offset < 0 || offset % alignment != 0) {
            throw fail("%s: %s: data offset %s (byte %d) is not a multiple of the alignment %d; the file is corrupt. "
                    + "Re-download it, or re-convert it with a current llama.cpp.", file, context,
                    Long.toUnsignedString(offset), offsetAt, alignment);
        }
        return new GgufTensorInfo(name, dims, type, offset);
    }

    private void checkData(List<GgufTensorInfo> tensors, long dataStart) {
        long dataSize = fileSize - dataStart;
        List<GgufTensorInfo> byOffset = new ArrayList<>(tensors);
        byOffset.sort(Comparator.comparingLong(GgufTensorInfo::offset));
        GgufTensorInfo prev = null;
        for (GgufTensorInfo t : byOffset) {
            long bytes = t.byteSize();
            if (bytes > 0 && (dataSize < 0 || t.offset() > dataSize - bytes)) {
                throw fail("%s: tensor '%s' (%s, %d bytes) occupies bytes [%d, %d) of the file, but the file ends at byte "
                        + "%d; the file is truncated. Re-download it and compare its size with the source.", file,
                        t.name(), t.type(), bytes, dataStart + t.offset(), dataStart + t.offset() + bytes, fileSize);
            }
            if (prev != null && bytes > 0 && t.offset() < prev.offset() + prev.byteSize()) {
                throw fail("%s: tensors '%s' [%d, %d) and '%s' [%d, %d) of the data section overlap; the file is corrupt. "
                        + "Re-download it.", file, prev.name(), prev.offset(), prev.offset() + prev.byteSize(),
                        t.name(), t.offset(), t.offset() + bytes);
            }
            if (bytes > 0) {
                prev = t;
            }
        }
    }

    // ---------------------------------------------------------------- values

    private Object value(GgufValueType type, int depth, String where) {
        return switch (type) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> integer(type);
            case FLOAT32 -> f32();
            case FLOAT64 -> f64();
            case BOOL -> bool();
            case STRING -> string();
            case ARRAY -> array(depth + 1, where);
        };
    }

    private GgufArray array(int depth, String where) {
        if (depth > MAX_NESTING) {
            throw fail("%s: %s nests arrays more than %d deep (byte %d); the file is corrupt. Re-download it.", file,
                    where, MAX_NESTING, pos);
        }
        int at = pos;
        long typeId = u32();
        GgufValueType type = GgufValueType.byId(typeId);
        if (type == null) {
            throw fail("%s: %s: array at byte %d has element type %d, which GGUF does not define (0..12); the file is "
                    + "corrupt. Re-download it.", file, where, at, typeId);
        }
        long n = u64();
        long room = limit - pos;
        if (Long.compareUnsigned(n, room / type.minBytes()) > 0) {
            throw fail("%s: %s: array at byte %d declares %s elements of %s (at least %d bytes each), but only %d bytes "
                    + "follow; the file is corrupt or truncated. Re-download it.", file, where, at,
                    Long.toUnsignedString(n), type, type.minBytes(), room);
        }
        int size = (int) n; // n <= room < 2^31
        String inner = depth == 1 ? where + " (nested array)" : where;
        Object data;
        switch (type) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> {
                long[] v = new long[size];
                for (int i = 0; i < size; i++) {
                    v[i] = integer(type);
                }
                data = v;
            }
            case FLOAT32 -> {
                float[] v = new float[size];
                for (int i = 0; i < size; i++) {
                    v[i] = f32();
                }
                data = v;
            }
            case FLOAT64 -> {
                double[] v = new double[size];
                for (int i = 0; i < size; i++) {
                    v[i] = f64();
                }
                data = v;
            }
            case BOOL -> {
                boolean[] v = new boolean[size];
                for (int i = 0; i < size; i++) {
                    v[i] = bool();
                }
                data = v;
            }
            case STRING -> {
                String[] v = new String[size];
                for (int i = 0; i < size; i++) {
                    v[i] = string();
                }
                data = v;
            }
            case ARRAY -> {
                GgufArray[] v = new GgufArray[size];
                for (int i = 0; i < size; i++) {
                    v[i] = array(depth + 1, inner);
                }
                data = v;
            }
            default -> throw new IllegalStateException(type.name());
        }
        return new GgufArray(file + ": " + where, type, data);
    }

    // ---------------------------------------------------------------- primitives

    /** Reads an integer of any width; UINT64 keeps its raw bits. */
    private long integer(GgufValueType type) {
        return switch (type) {
            case UINT8 -> u8();
            case INT8 -> i8();
            case UINT16 -> u16();
            case INT16 -> i16();
            case UINT32 -> u32();
            case INT32 -> i32();
            case UINT64, INT64 -> u64();
            default -> throw new IllegalStateException(type.name());
        };
    }

    private void need(long n) {
        if (n > limit - pos) {
            if (limit < fileSize) {
                throw fail("%s: the header runs past the first %d bytes (at %s, byte %d); headers that large are not "
                        + "supported. The file is probably corrupt; re-download it.", file, limit, context, pos);
            }
            throw fail("%s: the file ends at byte %d, inside %s (reading %d bytes at byte %d); the file is truncated. "
                    + "Re-download it and compare its size with the source.", file, limit, context, n, pos);
        }
    }

    private int u8() {
        need(1);
        return buf.get(pos++) & 0xFF;
    }

    private int i8() {
        need(1);
        return buf.get(pos++);
    }

    private int u16() {
        return i16() & 0xFFFF;
    }

    private int i16() {
        need(2);
        short v = buf.getShort(pos);
        pos += 2;
        return v;
    }

    private long u32() {
        return i32() & 0xFFFF_FFFFL;
    }

    private int i32() {
        need(4);
        int v = buf.getInt(pos);
        pos += 4;
        return v;
    }

    private long u64() {
        need(8);
        long v = buf.getLong(pos);
        pos += 8;
        return v;
    }

    private float f32() {
        return Float.intBitsToFloat(i32());
    }

    private double f64() {
        return Double.longBitsToDouble(u64());
    }

    private boolean bool() {
        int at = pos;
        int v = u8();
        if (v > 1) {
            throw fail("%s: %s: boolean at byte %d is %d; GGUF allows only 0 and 1. The file is corrupt; re-download it.",
                    file, context, at, v);
        }
        return v == 1;
    }

    private String string() {
        int at = pos;
        long n = u64();
        if (Long.compareUnsigned(n, limit - pos) > 0) {
            if (limit < fileSize && Long.compareUnsigned(n, fileSize - pos) <= 0) {
                need(n); // fails: header larger than one mapping
            }
            throw fail("%s: %s: the string at byte %d declares %s bytes, but only %d bytes follow; the file is corrupt "
                    + "or truncated. Re-download it.", file, context, at, Long.toUnsignedString(n), limit - pos);
        }
        int len = (int) n;
        boolean ascii = true;
        for (int i = 0; i < len && ascii; i++) {
            ascii = buf.get(pos + i) >= 0;
        }
        String s;
        if (ascii) {
            byte[] bytes = new byte[len];
            buf.get(pos, bytes);
            s = new String(bytes, StandardCharsets.ISO_8859_1);
        } else {
            try {
                CharBuffer chars = utf8.reset().decode(buf.slice(pos, len));
                s = chars.toString();
            } catch (CharacterCodingException e) {
                throw fail("%s: %s: the string at byte %d (%d bytes) is not valid UTF-8; the file is corrupt. "
                        + "Re-download it, or re-convert it with a current llama.cpp.", file, context, at, len);
            }
        }
        pos += len;
        return s;
    }

    // ---------------------------------------------------------------- messages

    private String hex(int from, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < Math.min(limit, from + n); i++) {
            sb.append(sb.length() == 0 ? "" : " ").append(String.format("%02x", buf.get(i) & 0xFF));
        }
        return sb.toString();
    }

    private String notGgufHint(int magic) {
        byte[] head = new byte[Math.min(limit, 64)];
        buf.get(0, head);
        String text = new String(head, StandardCharsets.ISO_8859_1);
        if (text.startsWith("version https://git-lfs")) {
            return "it is a Git LFS pointer, not the model; run `git lfs pull` in its folder or download the file "
                    + "with huggingface-cli.";
        }
        if (magic == 0x67676d6c || magic == 0x67676d66 || magic == 0x67676a74) { // 'ggml', 'ggmf', 'ggjt'
            return "it is a legacy GGML/GGJT file, which predates GGUF; convert it with llama.cpp's "
                    + "convert_llama_ggml_to_gguf.py, or download a GGUF version of the model.";
        }
        if (limit > 8 && buf.get(8) == '{') {
            return "it looks like a safetensors file; load its folder as a Hugging Face model instead.";
        }
        return "this is not a GGUF file, or it is corrupt. Re-download it.";
    }

    private static String versionProblem(int version) {
        if (version == 1) {
            return "GGUF version 1 (32-bit counts and lengths) is not supported, only versions 2 and 3; download a "
                    + "current GGUF of the model or re-convert it with a current llama.cpp (convert_hf_to_gguf.py).";
        }
        int swapped = Integer.reverseBytes(version);
        if (swapped == 2 || swapped == 3) {
            return "the version field reads %d little-endian but %d big-endian: this is a big-endian GGUF, and Emend reads "
                    .formatted(version, swapped)
                    + "little-endian files only. Convert it with gguf-py's gguf_convert_endian.py (target: little).";
        }
        return "GGUF version %s is not supported (this reader handles versions 2 and 3); the file is newer than this "
                .formatted(Integer.toUnsignedString(version))
                + "reader or corrupt. Re-convert it with a llama.cpp that writes version 3, or re-download it.";
    }

    private static GgufException fail(String format, Object... args) {
        return new GgufException(format.formatted(args));
    }
}
