package dev.emend.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code emend edit}: parses, edits through the core, prints probabilities before and after, saves on request. */
class EditCommandTest {
    static final Path FIXTURES = Path.of("../emend-core/src/test/resources/fixtures/tiny");
    static final Path GOLDEN = Path.of("../emend-core/src/test/resources/golden/rome/tiny-gpt2");

    record Run(int status, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void editPrintsTheTargetsBeforeAndAfterAndSaves(@TempDir Path tmp) throws IOException {
        Path hparams = tmp.resolve("rome.yaml");
        Files.writeString(hparams, Files.readString(GOLDEN.resolve("rome.yaml"))
                .replace("mom2_adjustment: true", "mom2_adjustment: false")
                .replace("[[5, 10], [10, 10]]", "[[5, 5]]"));
        Run r = run("edit", "--model", FIXTURES.resolve("gpt2").toString(), "--hparams", hparams.toString(),
                "--prompt", "The Eiffel Tower is in", "--subject", "Eiffel Tower", "--target", "the", "--old", "and",
                "--stats-dir", tmp.resolve("stats").toString(), "--save", tmp.resolve("edited").toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("ROME edit of").contains("prompt  The Eiffel Tower is in").contains("before")
                .contains("saved to");
        Matcher m = Pattern.compile("new\\s+\"the\"\\s+([0-9.]+)\\s+([0-9.]+)").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        assertThat(Double.parseDouble(m.group(2))).isGreaterThan(Double.parseDouble(m.group(1)));
        assertThat(tmp.resolve("edited").resolve("model.safetensors")).exists();
        assertThat(tmp.resolve("edited").resolve("tokenizer.json")).exists();
    }

    @Test
    void problemsAreOneLine(@TempDir Path tmp) {
        Run wrongModel = run("edit", "--model", FIXTURES.resolve("gpt2").toString(), "--prompt", "The Eiffel Tower is in",
                "--subject", "Eiffel Tower", "--target", "the");
        assertThat(wrongModel.status()).isEqualTo(2);
        assertThat(wrongModel.err()).startsWith("error: ").contains("no bundled ROME params for 'gpt2'").contains("--hparams");
        Run badSubject = run("edit", "--model", FIXTURES.resolve("gpt2").toString(), "--hparams", GOLDEN.resolve("rome.yaml").toString(),
                "--prompt", "The Eiffel Tower is in", "--subject", "Louvre", "--target", "the");
        assertThat(badSubject.err()).startsWith("error: ").contains("does not occur in prompt");
        Run method = run("edit", "--model", FIXTURES.resolve("gpt2").toString(), "--method", "KN", "--prompt", "a b",
                "--subject", "a", "--target", "c", "--hparams", GOLDEN.resolve("rome.yaml").toString());
        assertThat(method.err()).contains("unknown editing method 'KN'");
        Run neither = run("edit", "--model", FIXTURES.resolve("gpt2").toString(), "--prompt", "The Eiffel Tower is in",
                "--target", "the");
        assertThat(neither.status()).isEqualTo(2);
        assertThat(neither.err()).startsWith("error: missing --subject").contains("--requests FILE");
        Run both = run("edit", "--model", FIXTURES.resolve("gpt2").toString(), "--requests", tmp.resolve("r.json").toString(),
                "--prompt", "The Eiffel Tower is in");
        assertThat(both.status()).isEqualTo(2);
        assertThat(both.err()).startsWith("error: give either --requests FILE or --prompt");
        Run noFile = run("edit", "--model", FIXTURES.resolve("gpt2").toString(), "--requests", tmp.resolve("r.json").toString());
        assertThat(noFile.err()).startsWith("error: cannot read").contains("r.json");
    }
}
