package dev.emend.cli;

import dev.emend.model.LanguageModel;
import dev.emend.model.ModelConfig;
import dev.emend.model.WeightStore;
import dev.emend.tensor.StorageType;
import java.io.PrintWriter;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code emend info}: what a model is and what it costs. */
@Command(name = "info", description = "Show a model's family, sizes, dtype, parameter count and memory.")
final class InfoCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (LanguageModel m = options.load()) {
            ModelConfig c = m.config();
            WeightStore w = m.weights();
            Map<StorageType, Long> stored = new TreeMap<>();
            for (String n : w.names()) {
                stored.merge(w.storedType(n), w.get(n).size(), Long::sum);
            }
            out.printf("model        %s%n", m.source());
            out.printf("family       %s (model_type %s)%n", m.architecture().family(), c.modelType());
            out.printf("layers       %d%n", c.numLayers());
            out.printf("width        d_model %d, d_mlp %d, heads %d (kv %d, head_dim %d)%n", c.hiddenSize(),
                    c.intermediateSize(), c.numHeads(), c.numKvHeads(), c.headDim());
            out.printf("vocabulary   %d (tokenizer %d)%n", c.vocabSize(), m.tokenizer().vocabSize());
            out.printf("context      %d positions, %s%n", c.maxPositions(), c.rotary() == null ? "learned"
                    : "rotary dim %d theta %.0f %s".formatted(c.rotary().dim(), c.rotary().theta(), c.rotary().scaling().type()));
            out.printf("norm         %s eps %.1e, %s MLP %s, %s residual%s%n", c.norm(), c.normEps(),
                    c.gatedMlp() ? "gated" : "plain", c.activation(), c.residual(),
                    c.tiedEmbeddings() ? ", tied embeddings" : "");
            out.printf("stored dtype %s%n", stored);
            out.printf("compute      %s%n", w.computeType());
            out.printf("parameters   %,d (%.1f M)%n", w.parameterCount(), w.parameterCount() / 1e6);
            out.printf("memory       %.1f MiB of weights%n", w.bytes() / (1024.0 * 1024.0));
        }
        return 0;
    }
}
