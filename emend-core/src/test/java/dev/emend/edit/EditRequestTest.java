package dev.emend.edit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Request validation and EasyEdit / KnowEdit JSON forms. */
class EditRequestTest {
    @Test
    void filledAndTemplatePromptsGiveTheSameTemplate() {
        EditRequest a = EditRequest.of("The capital of France is", "France", "Lyon");
        EditRequest b = EditRequest.of("The capital of {} is", "France", "Lyon");
        assertThat(a.template()).isEqualTo("The capital of {} is").isEqualTo(b.template());
        assertThat(b.filledPrompt()).isEqualTo("The capital of France is");
        assertThat(a.knownTarget()).isEmpty();
        assertThat(a.withGroundTruth("Paris").knownTarget()).contains("Paris");
    }

    @Test
    void invalidRequestsSayWhatIsWrong() {
        assertThatThrownBy(() -> EditRequest.of("", "France", "Lyon")).hasMessageContaining("prompt is required");
        assertThatThrownBy(() -> EditRequest.of("The capital of France is", "Spain", "Lyon"))
                .hasMessageContaining("subject 'Spain' does not occur in prompt 'The capital of France is'");
        assertThatThrownBy(() -> EditRequest.of("{} and {}", "France", "Lyon")).hasMessageContaining("2 '{}' placeholders");
        assertThatThrownBy(() -> EditRequest.of("The capital of France is", "France", " ")).hasMessageContaining("blank");
    }

    @Test
    void readsKnowEditAndEasyEditJson() throws Exception {
        ObjectMapper json = new ObjectMapper();
        EditRequest k = EditRequest.fromJson(json.readTree("""
                {"case_id": 1, "subject": "Zora Skortell", "prompt": "Zora Skortell works as a", "target_new": "diplomat",
                 "ground_truth": "dentist", "rephrase_prompt": "The occupation of Zora Skortell is",
                 "locality": {"Neighborhood": [{"prompt": "Greta Visis works as a", "ground_truth": "pilot"}]},
                 "portability": {"Subject_Aliasing": [{"prompt": "Dr. Zora Skortell works as a", "ground_truth": [["diplomat", "envoy"]]}]}}
                """));
        assertThat(k.groundTruth()).isEqualTo("dentist");
        assertThat(k.rephrasePrompts()).containsExactly("The occupation of Zora Skortell is");
        assertThat(k.locality().get("Neighborhood")).containsExactly(new EditRequest.Probe("Greta Visis works as a", "pilot"));
        assertThat(k.portability().get("Subject_Aliasing").get(0).groundTruth()).isEqualTo("diplomat");
        EditRequest e = EditRequest.fromJson(json.readTree("""
                {"prompt": "Who is the president?", "subject": "president", "target_new": "Zed",
                 "locality": {"nq": {"prompt": ["q1", "q2"], "ground_truth": ["a1", "a2"]}}}
                """));
        assertThat(e.groundTruth()).isNull();
        assertThat(e.locality().get("nq")).hasSize(2);
        assertThatThrownBy(() -> EditRequest.fromJson(json.readTree("{\"prompt\": \"x\"}")))
                .hasMessageContaining("no 'subject'");
    }

    @Test
    void readsRequestFilesAsJsonArraysOrJsonLines(@TempDir Path tmp) throws IOException {
        String a = "{\"prompt\": \"{} is a city in\", \"subject\": \"Bouvmere\", \"target_new\": \"Vietnam\"}";
        String b = "{\"prompt\": \"Zora works as a\", \"subject\": \"Zora\", \"target_new\": [\"diplomat\"], \"ground_truth\": \"dentist\"}";
        Path array = Files.writeString(tmp.resolve("r.json"), "[" + a + ",\n" + b + "]");
        Path lines = Files.writeString(tmp.resolve("r.jsonl"), a + "\n" + b + "\n");
        Path single = Files.writeString(tmp.resolve("one.json"), a);
        for (Path p : List.of(array, lines)) {
            List<EditRequest> rs = EditRequest.readAll(p);
            assertThat(rs).extracting(EditRequest::subject).containsExactly("Bouvmere", "Zora");
            assertThat(rs.get(1).targetNew()).isEqualTo("diplomat");
            assertThat(rs.get(1).groundTruth()).isEqualTo("dentist");
        }
        assertThat(EditRequest.readAll(single)).hasSize(1);
        Path bad = Files.writeString(tmp.resolve("bad.json"), "[" + a + ", {\"prompt\": \"x\"}]");
        assertThatThrownBy(() -> EditRequest.readAll(bad)).hasMessageContaining("request 2 of").hasMessageContaining("no 'subject'");
        Path empty = Files.writeString(tmp.resolve("empty.json"), "[]");
        assertThatThrownBy(() -> EditRequest.readAll(empty)).hasMessageContaining("holds no edit request");
        Path notJson = Files.writeString(tmp.resolve("x.txt"), "prompt: a");
        assertThatThrownBy(() -> EditRequest.readAll(notJson)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not JSON");
        assertThatThrownBy(() -> EditRequest.readAll(tmp.resolve("missing.json"))).hasMessageContaining("cannot read");
    }
}
