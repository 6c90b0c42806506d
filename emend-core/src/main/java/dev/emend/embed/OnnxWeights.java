package dev.emend.embed;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the float32 initializers (weights) of an ONNX model exported from PyTorch, streaming, and names the
 * anonymous ones. PyTorch's exporter stores a {@code nn.Linear} as a {@code MatMul} node whose weight is an
 * initializer called {@code onnx::MatMul_NNN} with layout [in, out] (transposed from PyTorch's [out, in]), followed
 * by an {@code Add} of the named bias ({@code encoder.layer.0.attention.self.query.bias}). Each anonymous weight is
 * therefore named by walking the graph: the one {@code MatMul} that takes it as its second input, the one {@code Add}
 * that consumes that node's output, and the named {@code ….bias} initializer that {@code Add} adds; the weight becomes
 * {@code ….weight}, still [in, out]. Anything else is an error, never a guess from file order.
 *
 * <p>Field numbers are those of {@code onnx/onnx.proto}: ModelProto.graph = 7; GraphProto.node = 1,
 * GraphProto.initializer = 5; NodeProto.input = 1, output = 2, name = 3, op_type = 4; TensorProto.dims = 1,
 * data_type = 2, float_data = 4, name = 8, raw_data = 9, external_data = 13, data_location = 14. TensorProto data
 * type FLOAT is 1. Tensors of other types (e.g. int64 {@code position_ids}) are skipped.
 *
 * <p>Each float tensor is created empty in torch-owned memory and its {@code raw_data} streamed straight into it,
 * so loading holds one copy of the weights plus a 64 KiB buffer.
 */
final class OnnxWeights {
    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int NODE_INPUT = 1;
    private static final int NODE_OUTPUT = 2;
    private static final int NODE_NAME = 3;
    private static final int NODE_OP_TYPE = 4;
    private static final int TENSOR_DIMS = 1;
    private static final int TENSOR_DATA_TYPE = 2;
    private static final int TENSOR_FLOAT_DATA = 4;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;
    private static final int TENSOR_EXTERNAL_DATA = 13;
    private static final int TENSOR_DATA_LOCATION = 14;
    private static final int FLOAT = 1;
    private static final String ANONYMOUS_MATMUL = "onnx::MatMul_";

    private OnnxWeights() {}

    /** A graph node: only what naming the weights needs. */
    record Node(String name, String opType, List<String> inputs, List<String> outputs) {}

    /**
     * Reads a model's float initializers into {@code manager}.
     *
     * @param in the {@code .onnx} file's bytes (read once, forward only; not closed)
     * @param source the file's name, for messages
     * @param manager owner of the arrays (CPU)
     * @return the weights by name, anonymous MatMul weights renamed to {@code <layer>.weight} with shape [in, out];
     *     on failure nothing stays attached to {@code manager}
     * @throws IOException if the stream is unreadable or not an ONNX protobuf, or a MatMul weight cannot be named
     */
    static Map<String, NDArray> read(InputStream in, String source, NDManager manager) throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        List<Node> nodes = new ArrayList<>();
        try {
            ProtoReader r = new ProtoReader(in, source);
            boolean sawGraph = false;
            for (long tag = r.readTagOrEnd(); tag >= 0; tag = r.readTagOrEnd()) {
                if (tag == (MODEL_GRAPH << 3 | ProtoReader.LEN)) {
                    long end = r.endOfLength(Long.MAX_VALUE);
                    readGraph(r, end, manager, tensors, nodes);
                    sawGraph = true;
                } else {
                    r.skipField(tag, Long.MAX_VALUE);
                }
            }
            if (!sawGraph) {
                throw r.corrupt("no graph (ModelProto field 7); is this an ONNX model?");
            }
            return nameMatMulWeights(tensors, nodes, source);
        } catch (IOException | RuntimeException e) {
            tensors.values().forEach(NDArray::close);
            throw e;
        }
    }

    private static void readGraph(ProtoReader r, long end, NDManager manager, Map<String, NDArray> tensors,
            List<Node> nodes) throws IOException {
        while (r.position() < end) {
            long tag = r.readTag();
            if (tag == (GRAPH_NODE << 3 | ProtoReader.LEN)) {
                byte[] bytes = r.readBytes(r.readLength(end)); // a node is a few hundred bytes
                nodes.add(readNode(new ProtoReader(new ByteArrayInputStream(bytes), "a graph node"), bytes.length));
            } else if (tag == (GRAPH_INITIALIZER << 3 | ProtoReader.LEN)) {
                long tensorEnd = r.endOfLength(end);
                NamedArray t = readTensor(r, tensorEnd, manager);
                if (t != null) {
                    NDArray previous = tensors.put(t.name, t.array);
                    if (previous != null) {
                        previous.close();
                        throw r.corrupt("initializer " + t.name + " appears twice");
                    }
                }
            } else {
                r.skipField(tag, end);
            }
        }
        r.expectAt(end, "the graph");
    }

    private static Node readNode(ProtoReader r, long end) throws IOException {
        String name = "";
        String opType = "";
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        while (r.position() < end) {
            long tag = r.readTag();
            int field = (int) (tag >>> 3);
            if ((tag & 7) == ProtoReader.LEN && field >= NODE_INPUT && field <= NODE_OP_TYPE) {
                String s = r.readString(r.readLength(end));
                switch (field) {
                    case NODE_INPUT -> inputs.add(s);
                    case NODE_OUTPUT -> outputs.add(s);
                    case NODE_NAME -> name = s;
                    default -> opType = s;
                }
            } else {
                r.skipField(tag, end);
            }
        }
        r.expectAt(end, "a node");
        return new Node(name, opType, List.copyOf(inputs), List.copyOf(outputs));
    }

    private record NamedArray(String name, NDArray array) {}

    /** @return the tensor, or null if it is not float32 */
    private static NamedArray readTensor(ProtoReader r, long end, NDManager manager) throws IOException {
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = null;
        NDArray array = null;      // raw_data streamed into torch memory
        byte[] pendingRaw = null;  // raw_data that came before dims or data_type (not the exporters' order)
        List<Float> floatData = new ArrayList<>();
        try {
            while (r.position() < end) {
                long tag = r.readTag();
                int field = (int) (tag >>> 3);
                int wire = (int) (tag & 7);
                if (field == TENSOR_DIMS && wire == ProtoReader.VARINT) {
                    dims.add(r.readVarint());
                } else if (field == TENSOR_DIMS && wire == ProtoReader.LEN) { // packed
                    long packedEnd = r.endOfLength(end);
                    while (r.position() < packedEnd) {
                        dims.add(r.readVarint());
                    }
                    r.expectAt(packedEnd, "packed dims");
                } else if (field == TENSOR_DATA_TYPE && wire == ProtoReader.VARINT) {
                    dataType = (int) r.readVarint();
                } else if (field == TENSOR_NAME && wire == ProtoReader.LEN) {
                    name = r.readString(r.readLength(end));
                } else if (field == TENSOR_FLOAT_DATA && wire == ProtoReader.FIXED32) {
                    floatData.add(Float.intBitsToFloat(r.readFixed32()));
                } else if (field == TENSOR_FLOAT_DATA && wire == ProtoReader.LEN) { // packed
                    long packedEnd = r.endOfLength(end);
                    while (r.position() < packedEnd) {
                        floatData.add(Float.intBitsToFloat(r.readFixed32()));
                    }
                    r.expectAt(packedEnd, "packed float_data");
                } else if (field == TENSOR_RAW_DATA && wire == ProtoReader.LEN) {
                    long n = r.readLength(end);
                    if (dataType != 0 && dataType != FLOAT) {
                        r.skipBytes(n);
                    } else if (dataType == FLOAT && array == null && n == 4 * numel(dims)) {
                        array = manager.create(shape(dims), DataType.FLOAT32); // torch::empty, filled below
                        ByteBuffer dst = array.toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN);
                        r.readInto(dst, n); // raw_data is little-endian, as is the tensor's memory (x86-64, arm64)
                    } else {
                        pendingRaw = r.readBytes(n);
                    }
                } else if (field == TENSOR_EXTERNAL_DATA || field == TENSOR_DATA_LOCATION) {
                    throw r.corrupt(("tensor %s keeps its data in an external file; only models with the weights "
                            + "inside the .onnx file are supported").formatted(name));
                } else {
                    r.skipField(tag, end);
                }
            }
            r.expectAt(end, "tensor " + name);
            if (dataType != FLOAT) {
                if (array != null) {
                    array.close();
                }
                return null;
            }
            if (name == null || name.isEmpty()) {
                throw r.corrupt("a float initializer has no name");
            }
            long numel = numel(dims);
            if (array == null && pendingRaw != null) {
                if (pendingRaw.length != 4 * numel) {
                    throw r.corrupt("tensor %s has %d bytes of raw_data for shape %s".formatted(name,
                            pendingRaw.length, dims));
                }
                array = manager.create(shape(dims), DataType.FLOAT32);
                array.toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN).put(pendingRaw);
            } else if (array == null) {
                if (floatData.size() != numel) {
                    throw r.corrupt("tensor %s has %d values for shape %s".formatted(name, floatData.size(), dims));
                }
                float[] v = new float[floatData.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = floatData.get(i);
                }
                array = manager.create(shape(dims), DataType.FLOAT32);
                array.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().put(v);
            }
            array.setName(name);
            return new NamedArray(name, array);
        } catch (IOException | RuntimeException e) {
            if (array != null) {
                array.close();
            }
            throw e;
        }
    }

    private static long numel(List<Long> dims) {
        long n = 1;
        for (long d : dims) {
            if (d < 0 || (d > 0 && n > Long.MAX_VALUE / 4 / d)) {
                throw new IllegalArgumentException("absurd tensor dims " + dims);
            }
            n *= d;
        }
        return n;
    }

    private static Shape shape(List<Long> dims) {
        return new Shape(dims.stream().mapToLong(Long::longValue).toArray());
    }

    /**
     * Renames each {@code onnx::MatMul_*} initializer after the bias its MatMul's output is added to.
     *
     * @return a new map: named tensors unchanged, anonymous ones under their resolved names
     */
    static Map<String, NDArray> nameMatMulWeights(Map<String, NDArray> tensors, List<Node> nodes, String source)
            throws IOException {
        Map<String, List<Node>> consumers = new LinkedHashMap<>();
        for (Node n : nodes) {
            for (String in : n.inputs()) {
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            String name = e.getKey();
            if (!name.startsWith(ANONYMOUS_MATMUL)) {
                out.put(name, e.getValue());
                continue;
            }
            Node matMul = only(consumers.get(name), name, source, "node");
            if (!matMul.opType().equals("MatMul") || matMul.inputs().size() != 2 || !matMul.inputs().get(1).equals(name)
                    || matMul.outputs().size() != 1) {
                throw new IOException("%s: initializer %s feeds %s node %s, not the weight input of a MatMul"
                        .formatted(source, name, matMul.opType(), matMul.name()));
            }
            String product = matMul.outputs().get(0);
            Node add = only(consumers.get(product), product, source, "node");
            List<String> biases = add.inputs().stream().filter(x -> !x.equals(product)).toList();
            if (!add.opType().equals("Add") || add.inputs().size() != 2 || biases.size() != 1
                    || !biases.get(0).endsWith(".bias") || !tensors.containsKey(biases.get(0))) {
                throw new IOException("%s: MatMul %s (weight %s) is followed by %s node %s with inputs %s, not by an Add "
                        .formatted(source, matMul.name(), name, add.opType(), add.name(), add.inputs())
                        + "of a named bias initializer; this is not a PyTorch-exported nn.Linear");
            }
            String bias = biases.get(0);
            String weight = bias.substring(0, bias.length() - "bias".length()) + "weight";
            long out0 = e.getValue().getShape().get(e.getValue().getShape().dimension() - 1);
            if (tensors.get(bias).getShape().size() != out0) {
                throw new IOException("%s: %s [in, out] %s does not match bias %s %s".formatted(source, name,
                        e.getValue().getShape(), bias, tensors.get(bias).getShape()));
            }
            if (out.containsKey(weight) || tensors.containsKey(weight)) {
                throw new IOException("%s: two initializers resolve to %s (%s is one)".formatted(source, weight, name));
            }
            e.getValue().setName(weight);
            out.put(weight, e.getValue());
        }
        return out;
    }

    private static Node only(List<Node> nodes, String value, String source, String what) throws IOException {
        if (nodes == null || nodes.size() != 1) {
            throw new IOException("%s: %s is consumed by %d %ss, expected exactly one".formatted(source, value,
                    nodes == null ? 0 : nodes.size(), what));
        }
        return nodes.get(0);
    }
}
