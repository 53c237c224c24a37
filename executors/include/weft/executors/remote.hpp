#pragma once

/// What may cross to a process_pool worker: registered functions (WEFT_REMOTE), partials of them,
/// and cereal-serialisable arguments, results and exceptions.
///
///     int add(int a, int b) { return a + b; }
///     WEFT_REMOTE(add);                      // at namespace scope, once per function
///
///     struct bad_input : std::runtime_error { using std::runtime_error::runtime_error; };
///     WEFT_REMOTE_EXCEPTION(bad_input);      // rethrown as itself instead of remote_error
///
/// A function is named by the text given to WEFT_REMOTE ("add", "geo::area"): the parent sends
/// that key, the worker (the same program) looks it up in the table its static initialisers built.
/// Two different functions registered under the same text are reported when called; write the
/// qualified name (WEFT_REMOTE(geo::area)) to tell them apart.

#include <weft/executors/partial.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/future.hpp>

#include <cereal/archives/binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/complex.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <istream>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace weft {

/// An exception thrown by a function in a worker process, as the awaiter sees it: the original
/// type's name and what() (the exception object itself cannot cross unless its type was
/// registered with WEFT_REMOTE_EXCEPTION).
class remote_error : public error {
public:
    remote_error(const std::string& function, std::string type_name, std::string what)
        : error("remote call '" + function + "' raised " + type_name +
                (what.empty() ? std::string() : ": " + what)),
          function_(function), type_name_(std::move(type_name)), what_(std::move(what)) {}
    /// The registered name of the function that threw.
    [[nodiscard]] const std::string& function() const noexcept { return function_; }
    /// The demangled type of the exception thrown in the worker ("std::out_of_range").
    [[nodiscard]] const std::string& type_name() const noexcept { return type_name_; }
    /// Its what() (empty for exceptions not derived from std::exception).
    [[nodiscard]] const std::string& remote_what() const noexcept { return what_; }

private:
    std::string function_;
    std::string type_name_;
    std::string what_;
};

/// The worker process running a call died (a crash, exit(), a signal from outside): only that
/// call fails; the pool starts a new worker.
class worker_crashed : public error {
public:
    worker_crashed(const std::string& message, int pid, int exit_code, int signal)
        : error(message), pid_(pid), exit_code_(exit_code), signal_(signal) {}
    /// The dead worker's process id.
    [[nodiscard]] int pid() const noexcept { return pid_; }
    /// Its exit status when it exited, else -1.
    [[nodiscard]] int exit_code() const noexcept { return exit_code_; }
    /// The signal that killed it, else 0.
    [[nodiscard]] int signal() const noexcept { return signal_; }

private:
    int pid_;
    int exit_code_;
    int signal_;
};

/// The pool gave up starting workers: its initializer failed in them too many times in a row
/// (the message carries the initializer's error), or the fork server they start from is gone.
class worker_init_error : public error {
public:
    using error::error;
};

/// Arguments or a result larger than process_pool::options::max_message.
class message_too_large : public error {
public:
    using error::error;
};

/// A function given to a process pool that was not registered with WEFT_REMOTE, or a name
/// registered for two different functions.
class remote_registration_error : public error {
public:
    using error::error;
};

namespace detail {

/// A registered function's address, as a common type.
using remote_fn_id = void (*)();
/// Reads the arguments from `args`, calls the function, appends the serialised result to `out`.
using remote_invoker = void (*)(std::string_view args, std::string& out);
/// Makes a registered exception from its what().
using remote_exception_factory = std::exception_ptr (*)(const std::string& what);

/// Adds fn to the table under `name` (static initialisation).
bool register_remote(const char* name, remote_fn_id fn, remote_invoker invoke) noexcept;
/// The key of a registered function.
/// @throws remote_registration_error when fn is not registered or its name is ambiguous.
const std::string& remote_key_of(remote_fn_id fn, const char* signature);
/// The invoker registered under key, or null.
remote_invoker find_remote(std::string_view key) noexcept;
/// Adds an exception type that crosses as itself.
bool register_remote_exception(const char* mangled, remote_exception_factory make) noexcept;
/// The factory of a registered exception type, or null.
remote_exception_factory find_remote_exception(std::string_view mangled) noexcept;
/// A readable form of a mangled type name.
std::string demangle(const char* mangled);

/// Appends what cereal writes to a string.
class remote_sink final : public std::streambuf {
public:
    explicit remote_sink(std::string& s) noexcept : s_(s) {}

protected:
    int_type overflow(int_type c) override {
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            s_.push_back(traits_type::to_char_type(c));
        }
        return traits_type::not_eof(c);
    }
    std::streamsize xsputn(const char* p, std::streamsize n) override {
        s_.append(p, static_cast<std::size_t>(n));
        return n;
    }

private:
    std::string& s_;
};

/// Lets cereal read a byte range.
class remote_source final : public std::streambuf {
public:
    explicit remote_source(std::string_view v) noexcept {
        char* b = const_cast<char*>(v.data());
        setg(b, b, b + v.size());
    }
};

template <class T>
inline constexpr bool serializable_v =
    cereal::traits::is_output_serializable<T, cereal::BinaryOutputArchive>::value&&
        cereal::traits::is_input_serializable<T, cereal::BinaryInputArchive>::value;

/// Appends the binary form of v to out.
template <class T>
void save_to(std::string& out, const T& v) {
    remote_sink sink(out);
    std::ostream os(&sink);
    cereal::BinaryOutputArchive ar(os);
    ar(v);
}

/// Reads v from in. @throws cereal::Exception on short or malformed data.
template <class T>
void load_from(std::string_view in, T& v) {
    remote_source src(in);
    std::istream is(&src);
    cereal::BinaryInputArchive ar(is);
    ar(v);
}

template <class... T>
struct type_list {};

/// What a process pool can see of a callable: a plain function pointer, or a partial of one.
template <class F>
struct remote_sig {
    static constexpr bool is_function = false;
    static constexpr std::size_t bound = 0;
    using result = void;
};

template <class R, class... A>
struct remote_sig_base {
    static constexpr bool is_function = true;
    static constexpr std::size_t bound = 0;
    using result = R;
    using params = std::tuple<std::decay_t<A>...>;
    using raw = type_list<A...>;
    static constexpr std::size_t arity = sizeof...(A);
    static constexpr bool no_mutable_refs =
        (!(std::is_lvalue_reference_v<A> && !std::is_const_v<std::remove_reference_t<A>>)&&...);
    static constexpr bool params_serializable =
        ((serializable_v<std::decay_t<A>> && std::is_default_constructible_v<std::decay_t<A>> &&
          !std::is_pointer_v<std::decay_t<A>>)&&...);
    static constexpr bool result_serializable =
        std::is_void_v<R> ||
        (serializable_v<std::decay_t<R>> && std::is_default_constructible_v<std::decay_t<R>> &&
         !std::is_pointer_v<std::decay_t<R>>);
};

template <class R, class... A>
struct remote_sig<R (*)(A...)> : remote_sig_base<R, A...> {
    using pointer = R (*)(A...);
    static pointer function(pointer f) noexcept { return f; }
    static std::tuple<> bound_args(pointer) noexcept { return {}; }
};
template <class R, class... A>
struct remote_sig<R (*)(A...) noexcept> : remote_sig_base<R, A...> {
    using pointer = R (*)(A...) noexcept;
    static pointer function(pointer f) noexcept { return f; }
    static std::tuple<> bound_args(pointer) noexcept { return {}; }
};
template <class G, class... B>
struct remote_sig<partial_fn<G, B...>> : remote_sig<G> {
    static constexpr std::size_t bound = sizeof...(B);
    static auto function(const partial_fn<G, B...>& p) noexcept {
        return remote_sig<G>::function(p.func());
    }
    static const std::tuple<B...>& bound_args(const partial_fn<G, B...>& p) noexcept {
        return p.args();
    }
};

template <class Params, class Bound, class Args>
struct remote_args_fit : std::false_type {};
template <class... P, class... B, class... A>
struct remote_args_fit<std::tuple<P...>, type_list<B...>, type_list<A...>>
    : std::bool_constant<sizeof...(P) == sizeof...(B) + sizeof...(A) &&
                         std::is_constructible_v<std::tuple<P...>, const B&..., A&&...>> {};

template <class F>
struct bound_list {
    using type = type_list<>;
};
template <class G, class... B>
struct bound_list<partial_fn<G, B...>> {
    using type = type_list<B...>;
};

template <class F, class... Args>
constexpr bool remote_args_ok() {
    using S = remote_sig<std::decay_t<F>>;
    if constexpr (!S::is_function) {
        return false;
    } else {
        return remote_args_fit<typename S::params, typename bound_list<std::decay_t<F>>::type,
                               type_list<Args...>>::value;
    }
}

} // namespace detail

/// Whether fn(args...) can run in a process pool worker as far as types show: fn is a function
/// pointer or a weft::partial of one, the arguments match its parameters, no parameter is a
/// non-const reference, and parameters and result are serialisable. Whether fn is registered
/// (WEFT_REMOTE) is checked when called.
template <class F, class... Args>
concept remote_invocable = detail::remote_sig<std::decay_t<F>>::is_function &&
    detail::remote_sig<std::decay_t<F>>::no_mutable_refs &&
    detail::remote_sig<std::decay_t<F>>::params_serializable &&
    detail::remote_sig<std::decay_t<F>>::result_serializable &&
    detail::remote_args_ok<F, Args...>();

namespace detail {
template <class F, class... Args>
struct remote_result {
    using type = void;
};
template <class F, class... Args>
requires remote_sig<std::decay_t<F>>::is_function struct remote_result<F, Args...> {
    using type = typename remote_sig<std::decay_t<F>>::result;
};
template <class F, class... Args>
requires(!remote_sig<std::decay_t<F>>::is_function &&
         std::is_invocable_v<std::decay_t<F>&, Args...>) struct remote_result<F, Args...> {
    using type = std::invoke_result_t<std::decay_t<F>&, Args...>;
};
} // namespace detail

/// What fn(args...) returns (in a worker when fn is remote_invocable).
template <class F, class... Args>
using remote_result_t = typename detail::remote_result<F, Args...>::type;

namespace detail {

/// Checks fn(args...) for a process pool, with one clear message per reason.
template <class F, class... Args>
constexpr bool check_remote() {
    using S = remote_sig<std::decay_t<F>>;
    static_assert(S::is_function,
                  "weft::process_pool runs functions registered with WEFT_REMOTE(fn), or "
                  "weft::partial(fn, args...) of one: a lambda or other function object cannot "
                  "cross to a worker process (its code and captures live in this process). Write "
                  "a namespace-scope function, register it with WEFT_REMOTE(fn), and bind values "
                  "with weft::partial.");
    if constexpr (S::is_function) {
        static_assert(S::no_mutable_refs,
                      "a remote function cannot take a parameter by non-const reference: a change "
                      "made in the worker process would be lost; return the value instead");
        static_assert(S::params_serializable,
                      "every parameter of a remote function must be a default-constructible value "
                      "(no raw pointer) serialisable with cereal (std types, or a type with a "
                      "`template <class A> void serialize(A& ar)` member)");
        static_assert(S::result_serializable,
                      "the result of a remote function must be void, or default-constructible and "
                      "serialisable with cereal (std types, or a type with a "
                      "`template <class A> void serialize(A& ar)` member)");
        static_assert(remote_args_ok<F, Args...>(),
                      "the arguments (bound by weft::partial, then given to the call) do not match "
                      "the remote function's parameters in number or type");
        return S::no_mutable_refs && S::params_serializable && S::result_serializable &&
               remote_args_ok<F, Args...>();
    }
    return false;
}

/// Worker side of a registered function.
template <auto Fn>
void invoke_remote(std::string_view in, std::string& out) {
    using S = remote_sig<decltype(Fn)>;
    typename S::params args;
    load_from(in, args);
    if constexpr (std::is_void_v<typename S::result>) {
        std::apply(Fn, std::move(args));
    } else {
        std::decay_t<typename S::result> r = std::apply(Fn, std::move(args));
        save_to(out, r);
    }
}

template <auto Fn>
bool register_remote_fn(const char* name) noexcept {
    using S = remote_sig<decltype(Fn)>;
    static_assert(S::is_function, "WEFT_REMOTE(fn) takes the name of a (non-overloaded) function");
    if constexpr (S::is_function) {
        static_assert(S::no_mutable_refs,
                      "WEFT_REMOTE: a remote function cannot take a parameter by non-const "
                      "reference (a change made in the worker would be lost)");
        static_assert(S::params_serializable,
                      "WEFT_REMOTE: every parameter must be default-constructible and serialisable "
                      "with cereal (std types, or a type with a serialize(Archive&) member)");
        static_assert(S::result_serializable,
                      "WEFT_REMOTE: the result must be void, or default-constructible and "
                      "serialisable with cereal");
        return register_remote(name, reinterpret_cast<remote_fn_id>(Fn), &invoke_remote<Fn>);
    }
    return false;
}

template <class E>
bool register_remote_exception_type() noexcept {
    static_assert(std::is_constructible_v<E, const std::string&>,
                  "WEFT_REMOTE_EXCEPTION(type): the type must be constructible from its what() "
                  "string, e.g. `using std::runtime_error::runtime_error;`");
    return register_remote_exception(
        typeid(E).name(), [](const std::string& what) { return std::make_exception_ptr(E(what)); });
}

/// Serialises fn's key and (bound..., args...) into out (after what it holds); returns the key.
template <class F, class... Args>
const std::string& serialize_call(std::string& out, const F& fn, Args&&... args) {
    using S = remote_sig<F>;
    auto ptr = S::function(fn);
    const std::string& key =
        remote_key_of(reinterpret_cast<remote_fn_id>(ptr), typeid(decltype(ptr)).name());
    const auto keylen = static_cast<std::uint16_t>(key.size());
    out.push_back(static_cast<char>(keylen & 0xff));
    out.push_back(static_cast<char>(keylen >> 8));
    out.append(key);
    std::apply(
        [&](const auto&... bound) {
            typename S::params params(bound..., std::forward<Args>(args)...);
            save_to(out, params);
        },
        S::bound_args(fn));
    return key;
}

} // namespace detail

namespace detail {

/// What every call on its way to a worker has, whatever the pool (process_pool's and
/// redis_pool's records derive from it): the hook that hears its future complete, the references
/// that keep it alive (the pool's and the waiter's), the function's name, and the typed half's
/// interface (typed_call below implements it).
template <class Self>
struct call_record {
    struct hook : waiter_node {
        Self* rec = nullptr;
    };
    hook node;                // hears the future's completion (cancellation by the awaiter)
    std::atomic<int> refs{1}; // the pool's reference, plus the waiter's
    std::string name;         // the function's registered name, for messages

    call_record() = default;
    call_record(const call_record&) = delete;
    call_record& operator=(const call_record&) = delete;
    virtual ~call_record() = default;

    /// Completes the future with the serialised result; false when the awaiter cancelled first.
    virtual bool deliver(std::string_view bytes) = 0;
    /// Completes the future with e; false when the awaiter cancelled first.
    virtual bool fail(std::exception_ptr e) noexcept = 0;
    /// Completes the future as cancelled (the pool's own cancellation).
    virtual void cancel_future() noexcept = 0;
    virtual future_state_base& state() noexcept = 0;

    void release() noexcept {
        if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            delete this;
        }
    }
};

/// The typed half of a call on its way to a worker: the promise whose future the awaiter holds,
/// over Base, the pool's record (process_pool's and redis_pool's declare deliver, fail,
/// cancel_future and state). Raw keeps the serialised result as a std::string instead of
/// reading an R from it (a redis pool worker passes results on unread).
template <class R, class Base, bool Raw = false>
struct typed_call final : Base {
    promise<R> p;
    future<R> f = p.get_future();

    bool deliver(std::string_view bytes) override {
        if constexpr (Raw) {
            return p.set_value(std::string(bytes));
        } else if constexpr (std::is_void_v<R>) {
            return p.set_value();
        } else {
            std::decay_t<R> v{};
            load_from(bytes, v);
            return p.set_value(std::move(v));
        }
    }
    bool fail(std::exception_ptr e) noexcept override {
        try {
            return p.set_exception(std::move(e));
        } catch (...) {
            return false;
        }
    }
    void cancel_future() noexcept override { (void)p.cancel(); }
    future_state_base& state() noexcept override { return f.state(); }
};

} // namespace detail

/// A call prepared for a worker: a registered function with its serialised arguments (used for
/// process_pool::options::initializer). Made from a registered function pointer taking no
/// arguments, or from weft::partial of a registered function with all its arguments bound.
class remote_call {
public:
    remote_call() = default;
    /// @throws remote_registration_error when the function is not registered.
    template <class F>
    requires(!std::is_same_v<std::decay_t<F>, remote_call>)
        remote_call(F&& fn) { // NOLINT: implicit, for `.initializer = &setup`
        if constexpr (detail::check_remote<F>()) {
            name_ = detail::serialize_call(payload_, std::decay_t<F>(std::forward<F>(fn)));
        }
    }
    /// Whether there is nothing to call.
    [[nodiscard]] bool empty() const noexcept { return payload_.empty(); }
    /// The function's registered name.
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    /// Key length, key and serialised arguments, as sent to a worker.
    [[nodiscard]] const std::string& payload() const noexcept { return payload_; }

private:
    std::string name_;
    std::string payload_;
};

} // namespace weft

#define WEFT_REMOTE_CAT2_(a, b) a##b
#define WEFT_REMOTE_CAT_(a, b) WEFT_REMOTE_CAT2_(a, b)

/// Registers a function so that process pool workers can run it; write it once at namespace
/// scope, after the function (`WEFT_REMOTE(add);`, `WEFT_REMOTE(geo::area);`). The text given is
/// the function's key, the same in the parent and in every worker (the same program).
#define WEFT_REMOTE(fn)                                                                            \
    [[maybe_unused]] static const bool WEFT_REMOTE_CAT_(weft_remote_registered_, __COUNTER__) =    \
        ::weft::detail::register_remote_fn<&fn>(#fn)

/// Registers an exception type (constructible from a what() string) so that, thrown in a worker,
/// it reaches the awaiter as itself rather than as weft::remote_error.
#define WEFT_REMOTE_EXCEPTION(type)                                                                \
    [[maybe_unused]] static const bool WEFT_REMOTE_CAT_(weft_remote_exception_, __COUNTER__) =     \
        ::weft::detail::register_remote_exception_type<type>()
