package dev.emend.cli;

import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every model command shares. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "DIR|FILE.gguf",
            description = "HF model folder (config.json, model.safetensors, tokenizer.json) or a GGUF file (dequantised "
                    + "to the compute dtype at load: 4 bytes per parameter in fp32)")
    Path model;

    @Option(names = "--dtype", defaultValue = "fp32", paramLabel = "fp32|fp16", description = "compute dtype (default: ${DEFAULT-VALUE})")
    String dtype;

    LanguageModel load() {
        return ModelLoader.load(model, ModelLoader.Options.ofDtype(dtype));
    }
}
