package dev.emend;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.edit.EditRequest;
import dev.emend.tensor.SafeTensors;
import dev.emend.tensor.StorageType;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/** Paths to the committed test fixtures and a plain-Java reader for their reference tensors. */
public final class Fixtures {
    private Fixtures() {}

    /** @return the fixtures root, {@code src/test/resources/fixtures} of emend-core */
    public static Path root() {
        Path p = Path.of("src/test/resources/fixtures");
        if (!Files.isDirectory(p)) {
            p = Path.of("emend-core/src/test/resources/fixtures");
        }
        return p.toAbsolutePath();
    }

    /** @param name fixture name, e.g. "gpt2" @return its model folder */
    public static Path tiny(String name) {
        return root().resolve("tiny").resolve(name);
    }

    /** @return the bundled fact-world model folder, {@code models/fact-world} of the repository */
    public static Path factWorld() {
        Path p = Path.of("../models/fact-world");
        if (!Files.isDirectory(p)) {
            p = Path.of("models/fact-world");
        }
        return p.toAbsolutePath().normalize();
    }

    /**
     * The bundled fact-world model's modification benchmark, every case in file order. Skips the calling test (a JUnit
     * assumption) if the model is not in the checkout.
     *
     * @return the requests of {@code models/fact-world/bench/modification.json}
     */
    public static List<EditRequest> factWorldModification() throws IOException {
        Path file = factWorld().resolve("bench/modification.json");
        Assumptions.assumeTrue(Files.isRegularFile(file), "the fact-world model is not in " + factWorld());
        List<EditRequest> out = new ArrayList<>();
        new ObjectMapper().readTree(file.toFile()).forEach(n -> out.add(EditRequest.fromJson(n)));
        return out;
    }

    /** @return the shared assets folder {@code ../shared} of the repository */
    public static Path shared() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            Path s = p.resolveSibling("shared");
            if (Files.isDirectory(s.resolve("docs"))) {
                return s;
            }
        }
        throw new IllegalStateException("../shared not found above " + here);
    }

    /** Reference tensors of one fixture, read without DJL. */
    public static final class Reference {
        private final SafeTensors.Header header;

        /** @param file a reference.safetensors */
        public Reference(Path file) {
            this.header = SafeTensors.readHeader(file);
        }

        /** @param name tensor name @return true if present */
        public boolean has(String name) {
            return header.find(name) != null;
        }

        /** @param name tensor name @return its shape */
        public long[] shape(String name) {
            return info(name).shape();
        }

        /** @param name a float32 tensor @return its values */
        public float[] floats(String name) {
            SafeTensors.TensorInfo t = info(name);
            if (t.type() != StorageType.F32) {
                throw new IllegalArgumentException(name + " is " + t.type());
            }
            MappedByteBuffer mb = SafeTensors.map(header, t);
            float[] out = new float[(int) t.numel()];
            mb.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }

        /** @param name an int64 tensor @return its values */
        public long[] longs(String name) {
            SafeTensors.TensorInfo t = info(name);
            MappedByteBuffer mb = SafeTensors.map(header, t);
            long[] out = new long[(int) t.numel()];
            mb.order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
            return out;
        }

        private SafeTensors.TensorInfo info(String name) {
            SafeTensors.TensorInfo t = header.find(name);
            if (t == null) {
                throw new IllegalArgumentException("no tensor " + name + " in " + header.file());
            }
            return t;
        }
    }

    /** @param a expected @param b actual @return max |a - b| */
    public static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            m = Math.max(m, d);
        }
        return m;
    }

    /** @param values longs @return as ints */
    public static int[] ints(long[] values) {
        return Arrays.stream(values).mapToInt(v -> (int) v).toArray();
    }
}
