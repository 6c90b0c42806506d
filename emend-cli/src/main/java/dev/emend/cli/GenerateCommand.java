package dev.emend.cli;

import dev.emend.model.GenerationConfig;
import dev.emend.model.GenerationResult;
import dev.emend.model.Generator;
import dev.emend.model.LanguageModel;
import dev.emend.tokenizer.ChatTemplate;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code emend generate}: prints the continuation only, on stdout. Greedy unless a temperature is given. */
@Command(name = "generate", description = "Continue a prompt (greedy by default); prints the continuation only.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Spec
    CommandSpec spec;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT")
    String prompt;

    @Option(names = "--max-new-tokens", defaultValue = "32", paramLabel = "N")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", paramLabel = "T", description = "0 = greedy (default)")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", paramLabel = "K", description = "0 = off")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", paramLabel = "P", description = "1 = off")
    double topP;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S")
    long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "stop string (repeatable)")
    List<String> stops = new ArrayList<>();

    @Option(names = "--chat", description = "wrap the prompt as a user turn with the tokenizer's chat template")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "system message for --chat")
    String system;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (LanguageModel m = options.load()) {
            String text = prompt;
            boolean special = true;
            if (chat) {
                ChatTemplate t = m.tokenizer().chatTemplate();
                if (t == null) {
                    throw new IllegalArgumentException("--chat: the tokenizer of " + options.model + " has no chat template");
                }
                List<ChatTemplate.Message> msgs = new ArrayList<>();
                if (system != null) {
                    msgs.add(new ChatTemplate.Message("system", system));
                }
                msgs.add(new ChatTemplate.Message("user", prompt));
                text = t.render(msgs, true);
                special = false; // the template already holds BOS where the model wants one
            }
            GenerationConfig cfg = new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, stops, true);
            int[] ids = m.tokenizer().encode(text, special);
            GenerationResult r = new Generator(m).generateIds(List.of(ids), cfg).get(0);
            out.println(r.text());
            out.flush();
        }
        return 0;
    }
}
