package dev.emend.world;

import static org.assertj.core.api.Assertions.assertThat;

import dev.emend.world.World.Fact;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The world is deterministic, large enough, and its splits test what they claim to test. */
class WorldGeneratorTest {
    @Test
    void sameSeedSameWorldAndJsonRoundTrip(@TempDir Path tmp) {
        World a = WorldGenerator.generate(7, WorldGenerator.Spec.standard());
        World b = WorldGenerator.generate(7, WorldGenerator.Spec.standard());
        assertThat(a).isEqualTo(b);
        assertThat(WorldGenerator.generate(8, WorldGenerator.Spec.standard())).isNotEqualTo(a);
        a.write(tmp.resolve("world.json"));
        assertThat(World.read(tmp.resolve("world.json"))).isEqualTo(a);
    }

    @Test
    void everyPromptDeterminesItsObject() {
        java.util.List<Relation> all = new java.util.ArrayList<>(WorldGenerator.relations());
        all.addAll(WorldGenerator.twoHopRelations());
        assertThat(Relation.ambiguousPrompts(all, WorldCorpus.ALIAS_TEMPLATES)).isEmpty();
        // the check itself: a template that extends another's prompt is caught
        java.util.List<Relation> bad = java.util.List.of(
                new Relation("a", Relation.Kind.PERSON, Relation.Kind.CITY, java.util.List.of("{s} was born in {o}."),
                        "Where was {s} born? {o}."),
                new Relation("b", Relation.Kind.PERSON, Relation.Kind.COUNTRY,
                        java.util.List.of("{s} was born in a city in {o}."), "Which country? {s} {o}."));
        assertThat(Relation.ambiguousPrompts(bad, java.util.List.of())).hasSize(1);
    }

    @Test
    void sizesAndSplits() {
        World w = WorldGenerator.generate(7, WorldGenerator.Spec.standard());
        Set<String> relations = new HashSet<>();
        w.facts().forEach(f -> relations.add(f.relation()));
        assertThat(relations).hasSizeGreaterThanOrEqualTo(10);
        assertThat(w.entities()).hasSizeGreaterThan(300);
        assertThat(w.entities().stream().filter(e -> !e.aliases().isEmpty()).count()).isGreaterThan(50);
        Map<String, Relation> rel = w.relationsById();
        for (Relation r : rel.values()) {
            assertThat(r.templates().size()).isBetween(2, 6);
        }
        // every fact holds out a template that other facts of its relation are trained in
        Map<String, Set<Integer>> trainedByRelation = new HashMap<>();
        for (Fact f : w.facts()) {
            trainedByRelation.computeIfAbsent(f.relation(), k -> new HashSet<>()).addAll(f.trained());
        }
        for (Fact f : w.facts()) {
            assertThat(f.heldOut()).isNotEmpty();
            assertThat(trainedByRelation.get(f.relation())).containsAll(f.heldOut());
            assertThat(f.trained()).doesNotContainAnyElementsOf(f.heldOut());
        }
        // two-hop facts are compositions of one-hop facts
        assertThat(w.twoHop()).isNotEmpty();
        // reserved people never appear in training text
        List<String> text = WorldCorpus.trainingSentences(w);
        String all = String.join("\n", text);
        for (World.Entity r : w.reserved().subList(0, 20)) {
            assertThat(all).doesNotContain(r.name());
        }
        assertThat(WorldCorpus.heldOut(w)).isNotEmpty();
        assertThat(WorldCorpus.aliases(w)).isNotEmpty();
        int tokens = text.stream().mapToInt(s -> WordLevelTokenizerWriter.pieces(s).size() + 1).sum();
        System.out.printf("world: %d entities, %d facts, %d two-hop, %d sentences, %d tokens, %d trained probes, "
                + "%d held-out probes, %d alias probes, vocab %d%n", w.entities().size(), w.facts().size(),
                w.twoHop().size(), text.size(), tokens, WorldCorpus.trained(w).size(), WorldCorpus.heldOut(w).size(),
                WorldCorpus.aliases(w).size(), WordLevelTokenizerWriter.vocabulary(text, List.of()).size());
    }
}
