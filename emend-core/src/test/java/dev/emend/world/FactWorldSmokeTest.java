package dev.emend.world;

import static org.assertj.core.api.Assertions.assertThat;

import dev.emend.train.TrainConfig;
import dev.emend.train.Trainer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trains a tiny world (about 20 subjects, 2 layers) from scratch and checks it learned its facts. */
class FactWorldSmokeTest {
    @Test
    void tinyWorldIsLearned(@TempDir Path tmp) {
        TrainConfig train = new TrainConfig(1500, 16, 64, 3e-3, 3e-4, 60, 0.0, 1.0, 0.98, 1, 0, 0);
        FactWorldTrainer.Result r = FactWorldTrainer.run(new FactWorldTrainer.Options(tmp.resolve("tiny"), 3,
                WorldGenerator.Spec.tiny(), 2, 64, 4, 64, train), new Trainer.Listener() {
                    @Override
                    public void onStep(Trainer.Step s) {
                        if (s.step() % 250 == 0) {
                            System.out.printf("step %d loss %.3f lr %.1e %.0f tok/s%n", s.step(), s.loss(), s.lr(),
                                    s.tokensPerSecond());
                        }
                    }
                });
        System.out.println("tiny world: " + r.accuracy() + " in " + r.seconds() + " s, params " + r.parameters());
        assertThat(r.world().entities().size()).isBetween(15, 30);
        assertThat(r.accuracy().get("trained").value()).isGreaterThanOrEqualTo(0.95);
        assertThat(r.accuracy().get("held_out").value()).isGreaterThanOrEqualTo(0.8);
    }
}
