package dev.emend.cli;

import dev.emend.gguf.GgmlType;
import dev.emend.model.GgufModels;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelSaver;
import dev.emend.tensor.StorageType;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code emend convert}: between HF folders and GGUF files, chosen by the output's extension: {@code OUT.gguf} is
 * written as GGUF ({@code --type f32|f16|q8_0}), anything else as an HF folder ({@code --type f32|f16|bf16}).
 */
@Command(name = "convert", description = "Convert a model between an HF folder and a GGUF file (by --out's extension).")
final class ConvertCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "OUT",
            description = "OUT.gguf writes a GGUF file; any other path an HF folder")
    Path out;

    @Option(names = "--type", paramLabel = "TYPE",
            description = "GGUF: f32, f16 (default) or q8_0; HF folder: f32 (default for GGUF input), f16 or bf16 "
                    + "(default for a folder: each tensor's stored type)")
    String type;

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        boolean gguf = out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf");
        if (!gguf && Files.isRegularFile(out)) {
            throw new IllegalArgumentException(("--out %s is an existing file; give a folder for an HF checkpoint, or a "
                    + "name ending in .gguf for GGUF").formatted(out));
        }
        GgmlType ggmlType = gguf ? ggmlType(type) : null;
        StorageType hfType = gguf ? null : storageType(type);
        long t0 = System.nanoTime();
        try (LanguageModel m = options.load()) {
            if (gguf) {
                GgufModels.save(m, out, ggmlType);
            } else {
                ModelSaver.save(m, out, new ModelSaver.Options(hfType, false));
            }
            o.printf("wrote %s (%s, %s) in %.1f s%n", out, gguf ? "GGUF " + ggmlType : "HF folder",
                    gguf ? m.config().modelType() : hfType != null ? hfType
                            : Files.isRegularFile(m.source()) ? "F32" : "stored dtypes",
                    (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }

    private static GgmlType ggmlType(String name) {
        if (name == null) {
            return GgmlType.F16;
        }
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "f32", "fp32", "float32" -> GgmlType.F32;
            case "f16", "fp16", "float16" -> GgmlType.F16;
            case "q8_0", "q8" -> GgmlType.Q8_0;
            default -> throw new IllegalArgumentException(
                    "--type %s: GGUF output is f32, f16 or q8_0 (re-quantise further with llama.cpp's llama-quantize)"
                            .formatted(name));
        };
    }

    private static StorageType storageType(String name) {
        if (name == null) {
            return null;
        }
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "f32", "fp32", "float32" -> StorageType.F32;
            case "f16", "fp16", "float16" -> StorageType.F16;
            case "bf16", "bfloat16" -> StorageType.BF16;
            default -> throw new IllegalArgumentException("--type %s: an HF folder is written as f32, f16 or bf16"
                    .formatted(name));
        };
    }
}
