package dev.emend.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.Fixtures;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditRequest.Probe;
import dev.emend.edit.EvalProtocol;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data-set readers on the shared samples ({@code ../shared/data}: counts, skips, one record checked field by
 * field) and on small hand-written files for the formats without a sample (MEND zsRE, ROME CounterFact) and for
 * malformed input.
 */
class DatasetReaderTest {
    static Path data(String name) {
        return Fixtures.shared().resolve("data").resolve(name);
    }

    static List<Probe> probes(Map<String, List<Probe>> m, String key) {
        assertThat(m).containsKey(key);
        return m.get(key);
    }

    @Test
    void zsreSkipsTheThreeRecordsWhoseSubjectIsNotInThePrompt() {
        Dataset d = DatasetReader.read(data("knowedit/ZsRE-test-all.json"));
        assertThat(d.format()).isEqualTo(DataFormat.KNOWEDIT);
        assertThat(d.name()).isEqualTo("ZsRE");
        assertThat(d.totalRecords()).isEqualTo(1304);
        assertThat(d.requests()).hasSize(1301);
        assertThat(d.skipCounts()).isEqualTo(Map.of("subject not in prompt", 3));
        assertThat(d.skipped()).extracting(Dataset.Skipped::record).containsExactly(396, 597, 676);
        assertThat(d.records()).doesNotContain(396, 597, 676);
        assertThat(d.records().get(396)).isEqualTo(397);

        EditRequest r = d.requests().get(0);
        assertThat(r.prompt()).isEqualTo("Which family does Epaspidoceras belong to?");
        assertThat(r.subject()).isEqualTo("Epaspidoceras");
        assertThat(r.targetNew()).isEqualTo("Noctuidae");
        assertThat(r.groundTruth()).as("[\"Aspidoceratidae\"] reduced to its first answer").isEqualTo("Aspidoceratidae");
        assertThat(r.rephrasePrompts()).containsExactly("What family are Epaspidoceras?");
        assertThat(probes(r.locality(), "Relation_Specificity")).containsExactly(
                new Probe("The taxon rank of Epaspidoceras is", "genus"), new Probe("Epaspidoceras taxon rank", "genus"));
        assertThat(probes(r.portability(), "Reasoning")).containsExactly(
                new Probe("What is the common name for the family Epaspidoceras belongs to?", "Owlet moths"));
        assertThat(d.describe()).contains("1301 requests from 1304 records").contains("subject not in prompt: 3");
    }

    @Test
    void wikiCounterfactKeepsEveryRecordAndDropsBlankAnswers() {
        Dataset d = DatasetReader.read(data("knowedit/wiki_counterfact-train.json"));
        assertThat(d.format()).isEqualTo(DataFormat.KNOWEDIT);
        assertThat(d.name()).isEqualTo("WikiData_counterfact");
        assertThat(d.requests()).hasSize(1428);
        assertThat(d.skipped()).isEmpty();
        assertThat(d.droppedProbes()).isEqualTo(2);
        EditRequest r = d.requests().get(0);
        assertThat(r.subject()).isEqualTo("Goursez Vreizh");
        assertThat(r.targetNew()).isEqualTo("Franche-Comté");
        assertThat(r.groundTruth()).isEqualTo("France");
        assertThat(r.portability().keySet()).containsExactly("Reasoning", "Subject_Aliasing");
        assertThat(probes(r.portability(), "Subject_Aliasing").get(0).prompt()).contains("Gorsedd of Brittany");
        assertThat(probes(r.locality(), "Relation_Specificity")).containsExactly(
                new Probe("The name of the founder of Goursez Vreizh is", "Jean Le Fustec"));
    }

    @Test
    void wikiCounterfactAsJsonLinesReadsTheSame(@TempDir Path tmp) throws IOException {
        JsonNode all = new ObjectMapper().readTree(data("knowedit/wiki_counterfact-train.json").toFile());
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            lines.append(all.get(i).toString()).append('\n');
        }
        Path jsonl = tmp.resolve("test_cf.jsonl");
        Files.writeString(jsonl, lines);
        Dataset d = DatasetReader.read(jsonl);
        assertThat(d.format()).isEqualTo(DataFormat.KNOWEDIT);
        assertThat(d.name()).isEqualTo("WikiData_counterfact");
        assertThat(d.requests()).isEqualTo(DatasetReader.read(data("knowedit/wiki_counterfact-train.json")).limit(5).requests());
    }

    @Test
    void wikiRecentTakesTheFirstAliasAndHasNoGroundTruth() {
        Dataset d = DatasetReader.read(data("knowedit/wiki_recent-train.json"));
        assertThat(d.name()).isEqualTo("WikiData_recent");
        assertThat(d.requests()).hasSize(570);
        assertThat(d.droppedProbes()).as("empty alias lists").isEqualTo(9);
        assertThat(d.requests()).allMatch(r -> r.groundTruth() == null);
        EditRequest r = d.requests().get(0);
        assertThat(r.prompt()).isEqualTo("The gender of Ingrīda Amantova is");
        assertThat(r.targetNew()).isEqualTo("female");
        assertThat(r.portability()).isEmpty();
        List<Probe> rs = probes(r.locality(), "Relation_Specificity");
        assertThat(rs).hasSize(5);
        assertThat(rs.get(1)).isEqualTo(new Probe("The name of the country of citizenship of Ingrīda Amantova is", "Soviet Union"));
    }

    @Test
    void wikiBioMapsTextLabelsAndConcept() {
        Dataset d = DatasetReader.read(data("knowedit/WikiBio-train.json"));
        assertThat(d.format()).isEqualTo(DataFormat.WIKIBIO);
        assertThat(d.name()).isEqualTo("WikiBio");
        assertThat(d.requests()).hasSize(464);
        EditRequest r = d.requests().get(0);
        assertThat(r.prompt()).startsWith("This is a Wikipedia passage about rick mahler. Rick Mahler (born");
        assertThat(r.subject()).isEqualTo("rick mahler");
        assertThat(r.targetNew()).isEqualTo("Mahler was drafted by the Braves in the first round of the 1975 amateur draft.");
        assertThat(probes(r.locality(), "Relation_Specificity")).containsExactly(
                new Probe("The cause of death of rick mahler is", "myocardial infarction"),
                new Probe("rick mahler cause of death", "myocardial infarction"));
    }

    @Test
    void convSentDrawsASentimentAndTemplatePerTopicReproducibly() throws IOException {
        Path file = data("knowedit/ConvSent-val.json");
        Dataset d = DatasetReader.read(file);
        assertThat(d.format()).isEqualTo(DataFormat.CONVSENT);
        assertThat(d.requests()).hasSize(799);
        JsonNode raw = new ObjectMapper().readTree(file.toFile());
        EditRequest r = d.requests().get(0);
        assertThat(r.subject()).isEqualTo("Esparto, California");
        assertThat(r.prompt()).startsWith("From the sentiment dataset, answer ").contains("Esparto, California")
                .matches(".*(postively|negatively)\\.$");
        String pos = raw.get(0).get("pos").get(0).asText().strip();
        String neg = raw.get(0).get("neg").get(0).asText().strip();
        assertThat(r.targetNew()).isEqualTo(r.prompt().endsWith("postively.") ? pos : neg);
        assertThat(r.locality()).as("ConvSent's locality is dd, carried by the protocol").isEmpty();
        EvalProtocol.Sentiment s = (EvalProtocol.Sentiment) r.protocol();
        boolean drawnPositive = r.prompt().endsWith("postively.");
        assertThat(s.targetSentiment()).isEqualTo(drawnPositive ? "pos" : "neg");
        // every sentence of the topic, each after a question about the topic; target_new is the first target answer
        JsonNode mine = raw.get(0).get(drawnPositive ? "pos" : "neg");
        JsonNode theirs = raw.get(0).get(drawnPositive ? "neg" : "pos");
        assertThat(s.target()).hasSize(mine.size());
        assertThat(s.other()).hasSize(theirs.size());
        assertThat(s.target().get(0).groundTruth()).isEqualTo(r.targetNew());
        assertThat(s.other().get(theirs.size() - 1).groundTruth()).isEqualTo(theirs.get(theirs.size() - 1).asText().strip());
        assertThat(s.target()).allSatisfy(p -> assertThat(p.prompt()).contains("Esparto, California").endsWith("?"));
        // the next topic's positive then negative sentences, about the next topic
        JsonNode next = raw.get(1);
        assertThat(s.nextTopic()).hasSize(next.get("pos").size() + next.get("neg").size());
        assertThat(s.nextTopic().get(0)).satisfies(p -> {
            assertThat(p.prompt()).contains(next.get("ent").asText());
            assertThat(p.groundTruth()).isEqualTo(next.get("pos").get(0).asText().strip());
        });
        assertThat(s.nextTopic().get(s.nextTopic().size() - 1).groundTruth())
                .isEqualTo(next.get("neg").get(next.get("neg").size() - 1).asText().strip());
        EvalProtocol.Sentiment last = (EvalProtocol.Sentiment) d.requests().get(798).protocol();
        assertThat(last.nextTopic().get(0).prompt()).as("the last topic's next is the first").contains("Esparto, California");

        long positive = d.requests().stream().filter(q -> q.prompt().endsWith("postively.")).count();
        assertThat(positive).as("both sentiments are drawn").isBetween(300L, 500L);
        assertThat(DatasetReader.read(file).requests()).as("the same seed, the same draws").isEqualTo(d.requests());
        assertThat(DatasetReader.read(file, DatasetReader.Options.defaults().withSeed(7)).requests()).isNotEqualTo(d.requests());
    }

    @Test
    void sanitationTurnsForgetRecordsIntoQuestionsAndDealsTheRetainSet() {
        Dataset d = DatasetReader.read(data("knowedit/Sanitation-trivia_qa-train.json"));
        assertThat(d.format()).isEqualTo(DataFormat.SANITATION);
        assertThat(d.requests()).hasSize(80);
        EditRequest r = d.requests().get(0);
        assertThat(r.prompt()).isEqualTo("Question:Former French President Charles de Gaulle said ‘How can you govern a country "
                + "which has 246 varieties of ‘what’?\nAnswer:");
        assertThat(r.subject()).isEqualTo("a country which has 246 varieties");
        assertThat(r.targetNew()).isEqualTo("I don't know.");
        assertThat(r.groundTruth()).isEqualTo("Cheese");
        assertThat(probes(r.locality(), "retain").get(0)).isEqualTo(new Probe(
                "Question:Which year of the 18th century was called 'The Year of Victories'?\nAnswer:", "1759"));
        int retain = d.requests().stream().mapToInt(q -> q.locality().getOrDefault("retain", List.of()).size()).sum();
        assertThat(retain).as("every retain question once").isEqualTo(453);
        assertThat(d.requests()).allSatisfy(q -> assertThat(q.protocol()).isEqualTo(EvalProtocol.Erasure.easyEdit()));
    }

    @Test
    void easyEditCounterFactHasOneNeighbourhoodProbe() {
        Dataset d = DatasetReader.read(data("counterfact/counterfact-edit-1k.json"));
        assertThat(d.format()).isEqualTo(DataFormat.COUNTERFACT);
        assertThat(d.name()).isEqualTo("CounterFact");
        assertThat(d.requests()).hasSize(1000);
        EditRequest r = d.requests().get(0);
        assertThat(r.prompt()).isEqualTo("David Robinson professionally plays the sport");
        assertThat(r.subject()).isEqualTo("David Robinson");
        assertThat(r.targetNew()).isEqualTo("baseball");
        assertThat(r.groundTruth()).isEqualTo("basketball");
        assertThat(r.rephrasePrompts()).containsExactly("David Robinson's greatest weakness is");
        assertThat(r.locality()).isEqualTo(Map.of("neighborhood", List.of(new Probe("Shaquille O'Neal plays", "basketball"))));
    }

    @Test
    void mendZsreMapsSrcAltAnswersAndLocAndSkipsAnEmptyAlt(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("zsre_mend_eval.json");
        Files.writeString(file, """
                [{"subject": "Watts Humphrey", "src": "What university did Watts Humphrey attend?",
                  "pred": "Trinity College", "rephrase": "What university did Watts Humphrey take part in?",
                  "alt": "University of Michigan", "answers": ["Illinois Institute of Technology"],
                  "loc": "nq question: who played desmond doss father in hacksaw ridge", "loc_ans": "Hugo Weaving",
                  "cond": "Trinity College >> University of Michigan || What university did Watts Humphrey attend?",
                  "portability": {"New Question": "What state is the university Watts Humphrey attended in?",
                                  "New Answer": "Michigan"}},
                 {"subject": "Ramalinaceae", "src": "Which family does Ramalinaceae belong to?", "rephrase": "x",
                  "alt": "", "answers": ["Lecanorales"], "loc": "nq question: q", "loc_ans": "a"}]
                """);
        Dataset d = DatasetReader.read(file);
        assertThat(d.format()).isEqualTo(DataFormat.ZSRE_MEND);
        assertThat(d.requests()).hasSize(1);
        assertThat(d.skipCounts()).isEqualTo(Map.of("empty target", 1));
        EditRequest r = d.requests().get(0);
        assertThat(r.prompt()).isEqualTo("What university did Watts Humphrey attend?");
        assertThat(r.targetNew()).isEqualTo("University of Michigan");
        assertThat(r.groundTruth()).isEqualTo("Illinois Institute of Technology");
        assertThat(r.rephrasePrompts()).containsExactly("What university did Watts Humphrey take part in?");
        assertThat(r.locality()).isEqualTo(Map.of("neighborhood", List.of(
                new Probe("nq question: who played desmond doss father in hacksaw ridge", "Hugo Weaving"))));
        assertThat(r.portability()).isEqualTo(Map.of("one_hop", List.of(
                new Probe("What state is the university Watts Humphrey attended in?", "Michigan"))));
    }

    @Test
    void romeCounterFactMapsTheRequestedRewriteAndItsPromptSets(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("counterfact.json");
        Files.writeString(file, """
                [{"case_id": 0, "pararel_idx": 2796,
                  "requested_rewrite": {"prompt": "The mother tongue of {} is", "relation_id": "P103",
                    "target_new": {"str": "English", "id": "Q1860"}, "target_true": {"str": "French", "id": "Q150"},
                    "subject": "Danielle Darrieux"},
                  "paraphrase_prompts": ["Shayna does this and Yossel goes still and dies. Danielle Darrieux, a native",
                                         "An album was recorded for Capitol Nashville but never released. Danielle Darrieux spoke the language"],
                  "neighborhood_prompts": ["The mother tongue of Léon Blum is", "The native language of Montesquieu is"],
                  "attribute_prompts": ["J.\\u00a0R.\\u00a0R. Tolkien is a native speaker of"],
                  "generation_prompts": ["Danielle Darrieux's mother tongue is"]},
                 {"case_id": 1, "requested_rewrite": {"prompt": "{} plays", "target_new": {"str": ""},
                    "target_true": {"str": "x"}, "subject": "Someone"}}]
                """);
        Dataset d = DatasetReader.read(file);
        assertThat(d.format()).isEqualTo(DataFormat.ROME_COUNTERFACT);
        assertThat(d.requests()).hasSize(1);
        assertThat(d.skipCounts()).isEqualTo(Map.of("empty target", 1));
        EditRequest r = d.requests().get(0);
        assertThat(r.template()).isEqualTo("The mother tongue of {} is");
        assertThat(r.filledPrompt()).isEqualTo("The mother tongue of Danielle Darrieux is");
        assertThat(r.targetNew()).isEqualTo("English");
        assertThat(r.groundTruth()).isEqualTo("French");
        assertThat(r.rephrasePrompts()).hasSize(2);
        assertThat(probes(r.locality(), "neighborhood")).containsExactly(
                new Probe("The mother tongue of Léon Blum is", "French"), new Probe("The native language of Montesquieu is", "French"));
        assertThat(probes(r.locality(), "attribute")).hasSize(1).allMatch(p -> p.groundTruth().equals("English"));
    }

    @Test
    void missingFieldsAreSkippedAndCounted(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("requests.json");
        Files.writeString(file, """
                [{"prompt": "Paris is the capital of", "subject": "Paris", "target_new": "Italy"},
                 {"prompt": "Rome is the capital of", "target_new": "France"},
                 {"prompt": "Rome is the capital of", "subject": "Rome", "target_new": ""},
                 {"prompt": "Rome is the capital of", "subject": "Rome", "target_new": [[]]},
                 {"prompt": "Bern is the capital of", "subject": "Berne", "target_new": "Spain"},
                 {"prompt": "{} is the capital of", "subject": "Oslo", "target_new": "Peru", "ground_truth": [["Norway", "NO"]],
                  "locality": {"Relation_Specificity": [{"prompt": "Oslo lies in", "ground_truth": []},
                                                       {"prompt": "Oslo has", "ground_truth": [["fjords"]]}]}}]
                """);
        Dataset d = DatasetReader.read(file);
        assertThat(d.requests()).hasSize(2);
        assertThat(d.records()).containsExactly(0, 5);
        assertThat(d.skipCounts()).isEqualTo(Map.of("missing field", 1, "empty target", 2, "subject not in prompt", 1));
        assertThat(d.droppedProbes()).isEqualTo(1);
        EditRequest oslo = d.requests().get(1);
        assertThat(oslo.groundTruth()).isEqualTo("Norway");
        assertThat(oslo.locality()).isEqualTo(Map.of("Relation_Specificity", List.of(new Probe("Oslo has", "fjords"))));
        assertThat(d.limit(1).requests()).hasSize(1);
    }

    @Test
    void malformedRecordsNameTheirIndex(@TempDir Path tmp) throws IOException {
        Path notObject = tmp.resolve("a.json");
        Files.writeString(notObject, """
                [{"prompt": "Paris is in", "subject": "Paris", "target_new": "Italy"}, {"prompt": "x y", "subject": "x", "target_new": "z"}, 42]
                """);
        assertThatThrownBy(() -> DatasetReader.read(notObject)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("record 2 (0-based)").hasMessageContaining("expected a JSON object, got a number");

        Path objectPrompt = tmp.resolve("b.jsonl");
        Files.writeString(objectPrompt, """
                {"prompt": "Paris is in", "subject": "Paris", "target_new": "Italy"}
                {"prompt": {"text": "Paris is in"}, "subject": "Paris", "target_new": "Italy"}
                """);
        assertThatThrownBy(() -> DatasetReader.read(objectPrompt)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("record 1 (0-based)").hasMessageContaining("'prompt' must be a string");

        Path badLocality = tmp.resolve("c.json");
        Files.writeString(badLocality, """
                [{"prompt": "Paris is in", "subject": "Paris", "target_new": "Italy", "locality": [{"prompt": "a", "ground_truth": "b"}]}]
                """);
        assertThatThrownBy(() -> DatasetReader.read(badLocality)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("record 0").hasMessageContaining("'locality' must be an object of probe lists, got a list");

        Path badProbe = tmp.resolve("d.json");
        Files.writeString(badProbe, """
                [{"prompt": "Paris is in", "subject": "Paris", "target_new": "Italy", "portability": {"Reasoning": ["a"]}}]
                """);
        assertThatThrownBy(() -> DatasetReader.read(badProbe)).hasMessageContaining("'portability.Reasoning[0]' must be an object");

        Path notJson = tmp.resolve("e.json");
        Files.writeString(notJson, "[{\"prompt\": \"Paris is in\",\n \"subject\": }]");
        assertThatThrownBy(() -> DatasetReader.read(notJson)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("is not JSON or JSON Lines (line 2");

        Path unknown = tmp.resolve("f.json");
        Files.writeString(unknown, "[{\"question\": \"q\", \"answer\": \"a\"}]");
        assertThatThrownBy(() -> DatasetReader.read(unknown)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("cannot tell the format").hasMessageContaining("question, answer")
                .hasMessageContaining("--format").hasMessageContaining("zsre-mend");

        Path sanitation = tmp.resolve("g.json");
        Files.writeString(sanitation, "{\"K_F\": {\"question\": \"q\"}}");
        assertThatThrownBy(() -> DatasetReader.read(sanitation)).hasMessageContaining("'K_F' must be a list of records, got an object");

        Path empty = tmp.resolve("h.json");
        Files.writeString(empty, "[]");
        assertThatThrownBy(() -> DatasetReader.read(empty)).hasMessageContaining("is empty");
    }

    @Test
    void anExplicitFormatOverridesDetection(@TempDir Path tmp) throws IOException {
        // an EasyEdit CounterFact record read as a plain request file: its locality_* fields are not read then
        Dataset asKnowEdit = DatasetReader.read(data("counterfact/counterfact-edit-1k.json"),
                DatasetReader.Options.defaults().withFormat(DataFormat.KNOWEDIT));
        assertThat(asKnowEdit.format()).isEqualTo(DataFormat.KNOWEDIT);
        assertThat(asKnowEdit.requests()).hasSize(1000).allMatch(r -> r.locality().isEmpty());
        assertThat(DataFormat.parse("ZSRE-MEND")).isEqualTo(DataFormat.ZSRE_MEND);
        assertThat(DataFormat.parse("rome_counterfact")).isEqualTo(DataFormat.ROME_COUNTERFACT);
        assertThatThrownBy(() -> DataFormat.parse("csv")).hasMessageContaining("unknown data format 'csv'")
                .hasMessageContaining("knowedit, wikibio");
        // the wrong format for the content gives skips, not a crash
        Dataset wrong = DatasetReader.read(data("knowedit/WikiBio-train.json"), DatasetReader.Options.defaults().withFormat(DataFormat.KNOWEDIT));
        assertThat(wrong.requests()).isEmpty();
        assertThat(wrong.skipCounts()).isEqualTo(Map.of("missing field", 464));
        assertThat(DatasetReader.detect(Fixtures.factWorld().resolve("bench/modification.json"))).isEqualTo(DataFormat.KNOWEDIT);
    }
}
