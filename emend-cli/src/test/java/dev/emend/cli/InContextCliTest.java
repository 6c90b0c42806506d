package dev.emend.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code emend edit} and {@code emend bench} with the in-context methods ICE and IKE on the bundled model. */
class InContextCliTest {
    static final Path FACT_WORLD = Path.of("../models/fact-world").toAbsolutePath().normalize();

    @Test
    void editWithIceShowsTheProbabilitiesInContextAndRefusesToSave(@TempDir Path tmp) {
        Assumptions.assumeTrue(Files.isRegularFile(FACT_WORLD.resolve("config.json")), "no fact-world model");
        String[] edit = {"edit", "--model", FACT_WORLD.toString(), "--method", "ICE", "--prompt", "Bouvmere is a city in",
            "--subject", "Bouvmere", "--target", "Vietnam"};
        EditCommandTest.Run r = EditCommandTest.run(edit);
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("ICE edit of").contains("bundled ICE/fact-world.yaml");
        // the fact-world model does not learn in context, but the context does move its answer (0.9957 -> 0.0761)
        Matcher m = Pattern.compile("old\\s+\"New Zealand\"\\s+([0-9.]+)\\s+([0-9.]+)").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        assertThat(Double.parseDouble(m.group(1))).isGreaterThan(0.9);
        assertThat(Double.parseDouble(m.group(2))).as("the after column is scored with the Imagine-that context").isLessThan(0.5);
        assertThat(r.out()).contains("no weight changed; prompt context: ");

        String[] save = java.util.Arrays.copyOf(edit, edit.length + 2);
        save[edit.length] = "--save";
        save[edit.length + 1] = tmp.resolve("saved").toString();
        EditCommandTest.Run refused = EditCommandTest.run(save);
        assertThat(refused.status()).isNotZero();
        assertThat(refused.err()).contains("changes no weight");
        assertThat(tmp.resolve("saved")).doesNotExist();
    }

    @Test
    void benchWithIkeTakesATrainingFile(@TempDir Path tmp) throws IOException {
        Assumptions.assumeTrue(Files.isRegularFile(FACT_WORLD.resolve("bench/modification.json")), "no fact-world model");
        ObjectMapper json = new ObjectMapper();
        JsonNode cases = json.readTree(FACT_WORLD.resolve("bench/modification.json").toFile());
        ArrayNode train = json.createArrayNode();
        for (int i = 200; i < 210; i++) {
            train.add(cases.get(i));
        }
        Path trainFile = tmp.resolve("train.json");
        json.writeValue(trainFile.toFile(), train);
        Path params = tmp.resolve("ike.yaml");
        Files.writeString(params, "alg_name: IKE\nmodel_name: fact-world\nk: 16\nuse_icl_examples: false\n");
        EditCommandTest.Run r = EditCommandTest.run("bench", "--model", FACT_WORLD.toString(), "--method", "IKE", "--hparams",
                params.toString(), "--train", trainFile.toString(), "--data", FACT_WORLD.resolve("bench/modification.json").toString(),
                "--limit", "3", "--out", tmp.resolve("run").toString(), "--cache-dir", tmp.resolve("cache").toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("IKE on modification (knowedit), 3 cases, single mode");
        assertThat(Files.readAllLines(tmp.resolve("run/cases.jsonl"))).hasSize(3);

        // the bundled params retrieve demonstrations with all-MiniLM-L6-v2, which the CLI opens for --train
        EditCommandTest.Run withDemos = EditCommandTest.run("bench", "--model", FACT_WORLD.toString(), "--method", "IKE",
                "--train", trainFile.toString(), "--data", FACT_WORLD.resolve("bench/modification.json").toString(), "--limit", "3",
                "--out", tmp.resolve("run2").toString(), "--cache-dir", tmp.resolve("cache").toString());
        assertThat(withDemos.status()).as(withDemos.err()).isZero();
        assertThat(Files.readAllLines(tmp.resolve("run2/cases.jsonl"))).hasSize(3);
    }
}
