/**
 * Reading and writing GGUF files (llama.cpp's single-file model format; read: versions 2 and 3, write: version 3):
 * {@link dev.emend.gguf.GgufFile} parses and validates the header, {@link dev.emend.gguf.GgufMetadata} gives typed
 * access to the key-value metadata, {@link dev.emend.gguf.GgufTensorInfo} describes each tensor,
 * {@link dev.emend.gguf.GgmlDequant} turns ggml's block-quantised data into float32, and
 * {@link dev.emend.gguf.GgufWriter} with {@link dev.emend.gguf.GgmlQuant} writes files with F32, F16 and Q8_0 tensors.
 *
 * <p>This package is the format only. What the names and keys mean for a model lives with the model families:
 * {@code dev.emend.model.GgufModels} (load and save), {@code dev.emend.model.llama.LlamaGguf} (llama names, q/k row
 * order, hyper-parameter keys) and {@code dev.emend.tokenizer.GgufTokenizers} (tokenizer metadata).
 *
 * <p>Shapes: ggml lists dimensions innermost first ({@code ne[0]} is the row length); Emend, PyTorch and DJL list
 * them outermost first. A ggml matrix {@code ne = [in, out]} is the row-major array {@code [out, in]}, i.e. the
 * Hugging Face {@code nn.Linear} weight layout {@code [out_features, in_features]}. {@code GgufTensorInfo.dims()}
 * is ggml order, {@code shape()} row-major order.
 *
 * <p>Memory: nothing here holds a file open. Tensor bytes are memory-mapped on demand (one mapping per call, or
 * several for ranges over 1 GiB) and the mapping belongs to the returned buffer; arrays made by {@code load} belong
 * to the caller's {@code NDManager}. Every malformed input is a {@link dev.emend.gguf.GgufException} that names the
 * file, the place and the remedy.
 *
 * <p>Not here yet: dequantisers for the other ggml types (Q2_K, Q3_K, Q8_K, IQ*, TQ*, MXFP4, ...) and writing
 * other quantised types (write Q8_0 or F16 and re-quantise with llama.cpp's {@code llama-quantize}).
 */
package dev.emend.gguf;
