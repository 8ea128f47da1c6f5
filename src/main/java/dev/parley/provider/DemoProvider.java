package dev.parley.provider;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import io.smallrye.mutiny.Multi;

/**
 * The built-in demo model: no network, no API key, a canned reply streamed word by word. It exists so that a fresh
 * install shows a working chat; it is not a language model.
 */
final class DemoProvider implements ChatProvider {

    static final String MODEL = "demo";

    private final Duration tokenDelay;

    DemoProvider(Duration tokenDelay) {
        this.tokenDelay = tokenDelay;
    }

    @Override
    public String name() {
        return "demo";
    }

    @Override
    public boolean serves(String model) {
        return MODEL.equals(model);
    }

    @Override
    public Set<String> models() {
        return Set.of(MODEL);
    }

    @Override
    public Multi<ProviderChunk> stream(ProviderRequest request) {
        String last = request.messages().isEmpty() ? "" : request.messages().get(request.messages().size() - 1)
                .content();
        String quoted = last.length() > 200 ? last.substring(0, 200) + "…" : last;
        String reply = "This is Parley's built-in demo model, not a real one. You said: \"" + quoted + "\". "
                + "Configure an OpenAI-compatible upstream (PARLEY_UPSTREAM_1_URL) to talk to a real model.";
        List<String> words = List.of(reply.split("(?<= )"));
        int prompt = TokenEstimate.ofPrompt(request.messages());
        Multi<ProviderChunk> text = tokenDelay.isZero()
                ? Multi.createFrom().iterable(words).map(ProviderChunk.Text::new)
                : Multi.createFrom().ticks().every(tokenDelay).select().first(words.size())
                        .map(i -> new ProviderChunk.Text(words.get(i.intValue())));
        return Multi.createBy().concatenating().streams(text, Multi.createFrom().items(
                new ProviderChunk.Usage(prompt, words.size()), new ProviderChunk.Finished("stop")));
    }
}
