// A character-level language model in the spirit of Karpathy's makemore; examples/pytorch/char_lm.py
// is its PyTorch twin. It reads Debian's word list (wamerican) one character at a time, learns to
// predict the next character, then invents new words by sampling one character after another.
// Three models (examples/char_lm_model.hpp), from a fixed-context MLP to an LSTM to a small
// transformer; the words and batches are in examples/char_lm_data.hpp.
//
//   char_lm --model transformer          (or mlp, lstm; --steps, --lr, --temperature, ...)
//
// The loss is in nats per character: the mean of -ln p(the right next character) over every
// character of every word, its end included. Guessing uniformly among the 27 gives ln 27 = 3.30.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <memory>
#include <numbers>
#include <numeric>

#include "char_lm_data.hpp"
#include "char_lm_model.hpp"

using namespace xg;
using namespace examples;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
    std::string model = "transformer", words = "/usr/share/dict/american-english", save, load;
    std::size_t steps = 0, batch_size = 0, samples = 20;  // steps, batch_size and lr: see fill_defaults
    double lr = 0.0, temperature = 1.0;
    std::uint64_t seed = 1;
    int threads = 1;
    bool quiet = false;
};

// Each model's steps, words per step and peak learning rate, for the flags not given: a few
// minutes of training on two cores (the table in the README).
void fill_defaults(Args& a, const CLI::App& app) {
    struct Default {
        std::size_t steps, batch_size;
        double lr;
    };
    const Default d = a.model == "mlp"    ? Default{8000, 64, 3e-3}
                      : a.model == "lstm" ? Default{5000, 32, 3e-3}
                                          : Default{5000, 32, 5e-3};
    if (app.count("--steps") == 0) a.steps = d.steps;
    if (app.count("--batch-size") == 0) a.batch_size = d.batch_size;
    if (app.count("--lr") == 0) a.lr = d.lr;
}

// The learning rate's factor at step s (LambdaLR): a linear warm-up over the first 5% of the steps
// (Adam's early steps are large and noisy while its moment estimates settle), then a cosine from
// 1 down to 0, so the last steps are small ones that settle into a minimum.
double lr_factor(std::int64_t s, std::int64_t steps) {
    const std::int64_t warmup = std::max<std::int64_t>(1, steps / 20);
    if (s < warmup) return static_cast<double>(s + 1) / static_cast<double>(warmup);
    const double progress =
        static_cast<double>(s - warmup) / static_cast<double>(std::max<std::int64_t>(1, steps - warmup));
    return 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
}

// The model's examples for `words`: context windows for the MLP, padded sequences for the others.
Batch make_batch(const Args& a, const LMConfig& c, const std::vector<std::string>& words) {
    return a.model == "mlp" ? window_batch(words, c.block_size) : sequence_batch(words);
}

// The loss of logits [..., 27] against targets [...], the mean over the targets that aren't -1.
Tensor lm_loss(const Tensor& logits, const Tensor& y, nn::Reduction reduction = nn::Reduction::mean) {
    return nn::functional::cross_entropy(logits.reshape({-1, static_cast<std::int64_t>(vocab_size)}), y.reshape({-1}),
                                         reduction, /*ignore_index=*/-1);
}

// Nats per character over all of `words`: the summed loss over the count of real targets.
double evaluate(nn::Module& model, const Args& a, const LMConfig& c, const std::vector<std::string>& words) {
    model.eval();
    NoGradGuard no_grad;
    double total = 0.0, count = 0.0;
    for (std::size_t i = 0; i < words.size(); i += 512) {
        const std::vector<std::string> chunk(
            words.begin() + static_cast<std::ptrdiff_t>(i),
            words.begin() + static_cast<std::ptrdiff_t>(std::min(i + 512, words.size())));
        Batch b = make_batch(a, c, chunk);
        total += lm_loss(model(b.x), b.y, nn::Reduction::sum).item();
        count += xt::sum(xt::not_equal(b.y.data(), -1.0f))();
    }
    model.train();
    return total / count;
}

// `n` new words, all grown at once one character at a time: the model's distribution over the
// next character is softmax(logits / temperature) (below 1 sharper, safer words; above, wilder),
// and a uniform draw u in [0, 1) picks the first character whose cumulative probability exceeds u.
// A word ends at '.', or after max_length letters. The draws are splitmix64's, seeded by --seed.
std::vector<std::string> sample(nn::Module& model, const Args& a, const LMConfig& c, std::size_t max_length,
                                std::size_t n) {
    if (n == 0) return {};
    model.eval();
    NoGradGuard no_grad;
    const std::uint64_t key = a.seed ^ 0x5EEDULL;
    std::vector<std::vector<float>> rows(n, std::vector<float>{0.0f});  // each starts with '.'
    std::vector<bool> done(n, false);
    std::uint64_t draw = 0;
    for (std::size_t step = 0; step <= max_length; ++step) {
        const std::size_t t = rows[0].size();  // every row has this length
        const std::size_t width = a.model == "mlp" ? c.block_size : t;
        xt::xarray<float> x = xt::zeros<float>({n, width});
        for (std::size_t b = 0; b < n; ++b)  // the MLP sees the last block_size tokens, '.' before the start
            for (std::size_t j = 0; j < width && j < t; ++j) x(b, width - 1 - j) = rows[b][t - 1 - j];
        Tensor logits = model(Tensor(std::move(x)));
        if (a.model != "mlp") logits = select(logits, 1, static_cast<std::int64_t>(t) - 1);  // the last position
        const Tensor probs = softmax(logits / static_cast<float>(a.temperature), -1);
        for (std::size_t b = 0; b < n; ++b) {
            const double u = uniform(key, draw++);
            std::size_t ch = 0;
            for (double cum = 0.0; ch + 1 < vocab_size; ++ch)
                if ((cum += static_cast<double>(probs.data()(b, ch))) > u) break;
            rows[b].push_back(done[b] ? 0.0f : static_cast<float>(ch));
            done[b] = done[b] || ch == 0;
        }
    }
    std::vector<std::string> out;
    for (const auto& r : rows) {
        std::string w;
        for (std::size_t i = 1; i < r.size() && r[i] != 0.0f && w.size() < max_length; ++i)
            w += static_cast<char>('a' + static_cast<int>(r[i]) - 1);
        out.push_back(w);
    }
    model.train();
    return out;
}

// The progress of training: on a terminal one line redrawn in place, otherwise a line every tenth
// of the steps; the loss shown is the mean of the last 100 steps' losses.
class StepLog {
public:
    StepLog(std::size_t steps, bool quiet) : steps_(steps), quiet_(quiet), tty_(isatty(fileno(stdout)) != 0) {}

    void step(double loss, double lr) {
        recent_.push_back(loss);
        if (recent_.size() > 100) recent_.pop_front();
        ++done_;
        if (quiet_) return;
        const double t = seconds();
        if (tty_ && (t - last_draw_ >= 0.1 || done_ == steps_)) {
            last_draw_ = t;
            const std::size_t filled = 30 * done_ / steps_;
            std::printf("\rstep %zu/%zu [%s%s] loss %.4f  lr %.2e  %.0fs, %.0fs left ", done_, steps_,
                        std::string(filled, '=').c_str(), std::string(30 - filled, ' ').c_str(), recent_loss(), lr, t,
                        t * static_cast<double>(steps_ - done_) / static_cast<double>(done_));
            if (done_ == steps_) std::printf("\n");
            std::fflush(stdout);
        } else if (!tty_ && (done_ % std::max<std::size_t>(1, steps_ / 10) == 0 || done_ == steps_)) {
            std::printf("step %zu/%zu: loss %.4f, %.1f s\n", done_, steps_, recent_loss(), t);
            std::fflush(stdout);
        }
    }
    double recent_loss() const { return std::accumulate(recent_.begin(), recent_.end(), 0.0) / double(recent_.size()); }
    double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

private:
    std::size_t steps_, done_ = 0;
    bool quiet_, tty_;
    double last_draw_ = -1.0;
    std::deque<double> recent_;
    Clock::time_point start_ = Clock::now();
};

std::shared_ptr<nn::Module> make_model(const std::string& name, const LMConfig& c) {
    if (name == "mlp") return std::make_shared<nn::Sequential>(mlp_lm(c));
    if (name == "lstm") return std::make_shared<LstmLM>(c);
    return std::make_shared<TransformerLM>(c);
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    CLI::App app{"Train a character-level language model on a word list, then invent words."};
    app.add_option("--model", a.model, "mlp (Bengio 2003), lstm, or transformer")
        ->capture_default_str()
        ->check(CLI::IsMember({"mlp", "lstm", "transformer"}));
    app.add_option("--steps", a.steps,
                   "training steps (default: the model's, see the README); 0 with --load evaluates and samples")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--batch-size", a.batch_size, "words per step (default: the model's)")->check(CLI::PositiveNumber);
    app.add_option("--lr", a.lr, "peak learning rate of AdamW (default: the model's)")->check(CLI::PositiveNumber);
    app.add_option("--seed", a.seed, "manual_seed for initial weights; also seeds the batches and the sampler")
        ->capture_default_str();
    // Bounded: logits / 1e-40 overflow to inf, and the softmax of infs is NaN.
    app.add_option("--temperature", a.temperature, "sampling temperature: logits / T before the softmax")
        ->capture_default_str()
        ->check(CLI::Range(1e-3, 1e3));
    app.add_option("--samples", a.samples, "words to invent after training")->capture_default_str();
    app.add_option("--threads", a.threads, "threads for the matrix products (OpenBLAS)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--words", a.words, "the word list, one word a line")->capture_default_str();
    app.add_option("--save", a.save, "write the trained weights to FILE (safetensors)");
    app.add_option("--load", a.load, "start from the weights in FILE (safetensors)");
    app.add_flag("--quiet", a.quiet, "no model summary and no progress, only the results");
    CLI11_PARSE(app, argc, argv);
    fill_defaults(a, app);

    try {
        manual_seed(a.seed);
        set_num_threads(a.threads);
        Words words;
        try {
            words = load_words(a.words);
        } catch (const WordListError& e) {
            std::fprintf(stderr, "char_lm: %s\n", e.what());
            return 2;
        }
        std::printf("data: %s: %zu training and %zu validation words, the longest %zu letters\n", a.words.c_str(),
                    words.train.size(), words.val.size(), words.max_length);

        const LMConfig c = LMConfig::defaults(a.model, words.max_length);
        std::shared_ptr<nn::Module> net = make_model(a.model, c);
        nn::Module& model = *net;
        if (!a.load.empty()) nn::load(model, a.load);
        std::size_t n_params = 0;
        for (const Tensor& p : model.parameters()) n_params += p.numel();
        if (!a.quiet) std::cout << nn::summary(model, {a.batch_size, c.block_size}) << "\n";
        std::printf("model: %s, %zu parameters\n", a.model.c_str(), n_params);

        // AdamW as makemore: weight decay 0.01 on every parameter, beta2 0.99.
        optim::AdamW opt(model.parameters(), {.lr = a.lr, .betas = {0.9, 0.99}, .weight_decay = 0.01});
        const auto steps = static_cast<std::int64_t>(a.steps);
        optim::LambdaLR scheduler(opt, [steps](std::int64_t s) { return lr_factor(s, steps); });

        StepLog log(a.steps, a.quiet);
        for (std::size_t step = 0; step < a.steps; ++step) {
            Batch batch = make_batch(a, c, batch_words(words.train, step, a.batch_size, a.seed));
            Tensor loss = lm_loss(model(batch.x), batch.y);
            opt.zero_grad();
            loss.backward();
            // One unlucky batch can give a huge gradient (an LSTM's is a product over the steps):
            // scaling the whole gradient down to norm 1 keeps its direction and bounds the step.
            optim::clip_grad_norm_(model.parameters(), 1.0);
            opt.step();
            scheduler.step();
            log.step(loss.item(), scheduler.get_last_lr()[0]);
        }
        const double seconds = log.seconds();
        // The training loss on as many training words as there are validation words (a random
        // tenth, the split being shuffled): the two numbers have the same noise, and it is quick.
        const std::vector<std::string> train_part(words.train.begin(),
                                                  words.train.begin() + static_cast<std::ptrdiff_t>(words.val.size()));
        const double train_loss = evaluate(model, a, c, train_part), val_loss = evaluate(model, a, c, words.val);
        std::printf("train loss %.4f, val loss %.4f (nats per character), trained in %.1f s\n", train_loss, val_loss,
                    seconds);
        if (!a.save.empty()) {
            nn::save(model, a.save);
            std::printf("saved the weights to %s\n", a.save.c_str());
        }
        const std::unordered_set<std::string> val_set(words.val.begin(), words.val.end());
        for (const std::string& w : sample(model, a, c, words.max_length, a.samples)) {
            const char* note = words.train_set.count(w) ? ""
                               : val_set.count(w)       ? "  (new; a real word it never saw)"
                                                        : "  (new)";
            std::printf("%s%s\n", w.c_str(), note);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "char_lm: %s\n", e.what());
        return 1;
    }
    return 0;
}
