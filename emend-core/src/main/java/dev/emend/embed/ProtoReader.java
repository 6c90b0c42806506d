package dev.emend.embed;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A forward-only reader of the protobuf wire format over a stream: tags, varints, fixed-width values, and
 * length-delimited fields, which the caller either reads, skips, streams into a buffer, or enters as a nested message
 * (by comparing {@link #position()} with the end it computed). Nothing is buffered beyond 64 KiB, so a 90 MB
 * {@code ModelProto} is read without holding a copy of it.
 *
 * <p>Wire types (protobuf encoding spec): 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit; 3 and 4 (groups) are
 * deprecated and rejected.
 */
final class ProtoReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    private final InputStream in;
    private final String source;
    private final byte[] buf = new byte[1 << 16];
    private int bufPos;
    private int bufLen;
    private long position; // bytes consumed from the stream

    ProtoReader(InputStream in, String source) {
        this.in = in;
        this.source = source;
    }

    /** @return bytes consumed so far, from the start of the stream */
    long position() {
        return position;
    }

    /**
     * Reads the next tag, or returns -1 at a clean end of the stream (only where a top-level field may start).
     *
     * @return {@code fieldNumber << 3 | wireType}, or -1 at the end of the stream
     */
    long readTagOrEnd() throws IOException {
        if (!fill()) {
            return -1;
        }
        long tag = readVarint();
        if ((tag >>> 3) == 0) {
            throw corrupt("field number 0 in tag " + tag);
        }
        return tag;
    }

    /** @return the tag of the next field, which must exist */
    long readTag() throws IOException {
        long tag = readTagOrEnd();
        if (tag < 0) {
            throw new EOFException(source + " ends inside a message; the file is truncated");
        }
        return tag;
    }

    long readVarint() throws IOException {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = readByte();
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw corrupt("a varint longer than 10 bytes");
    }

    /** @return a little-endian 32-bit value (wire type 5) */
    int readFixed32() throws IOException {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v |= (readByte() & 0xFF) << (8 * i);
        }
        return v;
    }

    /**
     * Reads the length prefix of a length-delimited field and checks it against the enclosing message's end.
     *
     * @param end the enclosing message's end position (exclusive), or {@code Long.MAX_VALUE} at top level
     * @return the field's length in bytes
     */
    long readLength(long end) throws IOException {
        long n = readVarint();
        if (n < 0 || n > end - position) {
            throw corrupt("a length-delimited field of %d bytes at offset %d overruns its message (ends at %d)"
                    .formatted(n, position, end));
        }
        return n;
    }

    /**
     * Reads the length prefix of a nested message or packed field, to be entered field by field.
     *
     * @param end the enclosing message's end position
     * @return the position where the nested payload ends (exclusive)
     */
    long endOfLength(long end) throws IOException {
        long n = readLength(end);
        return position + n; // after the prefix was consumed
    }

    /** Reads a length-delimited field's payload (after {@link #readLength}) as UTF-8. */
    String readString(long length) throws IOException {
        return new String(readBytes(length), StandardCharsets.UTF_8);
    }

    byte[] readBytes(long length) throws IOException {
        if (length > Integer.MAX_VALUE - 8) {
            throw corrupt("a field of %d bytes is too large to hold".formatted(length));
        }
        byte[] out = new byte[(int) length];
        int done = 0;
        while (done < out.length) {
            if (!fill()) {
                throw new EOFException(source + " is truncated inside a field");
            }
            int n = Math.min(bufLen - bufPos, out.length - done);
            System.arraycopy(buf, bufPos, out, done, n);
            bufPos += n;
            done += n;
            position += n;
        }
        return out;
    }

    /** Streams {@code length} bytes into {@code dst} at its position, advancing it. */
    void readInto(ByteBuffer dst, long length) throws IOException {
        if (dst.remaining() < length) {
            throw new IllegalArgumentException("destination has " + dst.remaining() + " bytes, field " + length);
        }
        long left = length;
        while (left > 0) {
            if (!fill()) {
                throw new EOFException(source + " is truncated inside a field");
            }
            int n = (int) Math.min(bufLen - bufPos, left);
            dst.put(buf, bufPos, n);
            bufPos += n;
            position += n;
            left -= n;
        }
    }

    void skipBytes(long length) throws IOException {
        long left = length;
        while (left > 0) {
            if (!fill()) {
                throw new EOFException(source + " is truncated inside a field");
            }
            int n = (int) Math.min(bufLen - bufPos, left);
            bufPos += n;
            position += n;
            left -= n;
        }
    }

    /**
     * Skips the payload of a field whose tag was just read.
     *
     * @param tag the field's tag
     * @param end the enclosing message's end position
     */
    void skipField(long tag, long end) throws IOException {
        switch ((int) (tag & 7)) {
            case VARINT -> readVarint();
            case FIXED64 -> skipBytes(8);
            case LEN -> skipBytes(readLength(end));
            case FIXED32 -> skipBytes(4);
            default -> throw corrupt("wire type %d (field %d) at offset %d; groups are not used by ONNX"
                    .formatted(tag & 7, tag >>> 3, position));
        }
    }

    /** Fails unless a nested message ended exactly at its declared end. */
    void expectAt(long end, String what) throws IOException {
        if (position != end) {
            throw corrupt("%s ends at offset %d, but its fields end at %d".formatted(what, end, position));
        }
    }

    IOException corrupt(String what) {
        return new IOException(source + " is not a valid protobuf message: " + what);
    }

    private int readByte() throws IOException {
        if (!fill()) {
            throw new EOFException(source + " is truncated inside a value");
        }
        position++;
        return buf[bufPos++] & 0xFF;
    }

    /** @return whether at least one byte is buffered */
    private boolean fill() throws IOException {
        if (bufPos < bufLen) {
            return true;
        }
        bufPos = 0;
        bufLen = 0;
        while (bufLen == 0) {
            int n = in.read(buf, 0, buf.length);
            if (n < 0) {
                return false;
            }
            bufLen = n;
        }
        return true;
    }
}
