// Names for code addresses in debug-mode warnings. dladdr() only sees exported symbols, and the
// resume function of a coroutine (GCC's "[clone .actor]") is always local, so the symbol table of
// the object file is read as well: once per file, lazily, only in debug mode.

#include "debug_impl.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace weft::detail {

namespace {

struct func_symbol {
    std::uintptr_t start;
    std::uintptr_t end;
    std::string name; // mangled
};

/// The function symbols of one ELF file, sorted by address (empty when unreadable or stripped).
std::vector<func_symbol> read_symbols(const std::string& path) {
    std::vector<func_symbol> out;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return out;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof(Elf64_Ehdr))) {
        ::close(fd);
        return out;
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED) {
        return out;
    }
    const auto* base = static_cast<const unsigned char*>(map);
    const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
    const bool ok = std::memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 &&
                    eh->e_ident[EI_CLASS] == ELFCLASS64 && eh->e_shoff != 0 &&
                    eh->e_shoff + std::size_t{eh->e_shnum} * sizeof(Elf64_Shdr) <= size;
    if (ok) {
        const auto* sh = reinterpret_cast<const Elf64_Shdr*>(base + eh->e_shoff);
        for (unsigned i = 0; i < eh->e_shnum; ++i) {
            if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum) {
                continue;
            }
            const Elf64_Shdr& strs = sh[sh[i].sh_link];
            if (sh[i].sh_offset + sh[i].sh_size > size || strs.sh_offset + strs.sh_size > size) {
                continue;
            }
            const auto* syms = reinterpret_cast<const Elf64_Sym*>(base + sh[i].sh_offset);
            const std::size_t n = sh[i].sh_size / sizeof(Elf64_Sym);
            const char* names = reinterpret_cast<const char*>(base + strs.sh_offset);
            for (std::size_t k = 0; k < n; ++k) {
                if (ELF64_ST_TYPE(syms[k].st_info) != STT_FUNC || syms[k].st_size == 0 ||
                    syms[k].st_name >= strs.sh_size) {
                    continue;
                }
                out.push_back({syms[k].st_value, syms[k].st_value + syms[k].st_size,
                               std::string(names + syms[k].st_name)});
            }
        }
    }
    ::munmap(map, size);
    std::sort(out.begin(), out.end(),
              [](const func_symbol& a, const func_symbol& b) { return a.start < b.start; });
    return out;
}

/// The object file holding `code`, its load bias, and whether the file is the main program.
struct object_of {
    std::string path;
    std::uintptr_t bias = 0;
    bool found = false;
};

object_of find_object(const void* code) {
    struct query {
        std::uintptr_t addr;
        object_of result;
    } q{reinterpret_cast<std::uintptr_t>(code), {}};
    dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* data) -> int {
            auto* q = static_cast<query*>(data);
            for (int i = 0; i < info->dlpi_phnum; ++i) {
                const ElfW(Phdr)& ph = info->dlpi_phdr[i];
                if (ph.p_type != PT_LOAD) {
                    continue;
                }
                const std::uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
                if (q->addr >= lo && q->addr < lo + ph.p_memsz) {
                    q->result.bias = info->dlpi_addr;
                    q->result.path = info->dlpi_name != nullptr && info->dlpi_name[0] != '\0'
                                         ? info->dlpi_name
                                         : "/proc/self/exe";
                    q->result.found = true;
                    return 1;
                }
            }
            return 0;
        },
        &q);
    return q.result;
}

std::string demangle(const char* mangled) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> d(
        abi::__cxa_demangle(mangled, nullptr, nullptr, &status), &std::free);
    return status == 0 && d ? std::string(d.get()) : std::string(mangled);
}

/// "ns::f(ns::f()::Frame*) [clone .actor]" -> "ns::f": a coroutine's resume function is named
/// after the coroutine, with its frame as parameter.
std::string tidy(std::string name) {
    if (name.find("[clone .actor]") == std::string::npos &&
        name.find("[clone .resume]") == std::string::npos) {
        return name;
    }
    int depth = 0;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (c == '<') {
            ++depth;
        } else if (c == '>') {
            --depth;
        } else if (c == '(' && depth == 0 && name.compare(i, 10, "(anonymous") != 0) {
            return name.substr(0, i);
        }
    }
    return name;
}

std::string quoted(const std::string& name) {
    std::string out;
    out.reserve(name.size() + 2);
    out += '`';
    out += name;
    out += '`';
    return out;
}

} // namespace

std::string symbol_name(const void* code) {
    Dl_info info{};
    if (dladdr(code, &info) != 0 && info.dli_sname != nullptr) {
        return quoted(tidy(demangle(info.dli_sname)));
    }
    const object_of obj = find_object(code);
    if (obj.found) {
        static std::mutex mtx;
        static std::map<std::string, std::vector<func_symbol>> cache;
        std::lock_guard lock(mtx);
        auto it = cache.find(obj.path);
        if (it == cache.end()) {
            it = cache.emplace(obj.path, read_symbols(obj.path)).first;
        }
        const std::uintptr_t addr = reinterpret_cast<std::uintptr_t>(code) - obj.bias;
        const auto& syms = it->second;
        auto pos =
            std::upper_bound(syms.begin(), syms.end(), addr,
                             [](std::uintptr_t a, const func_symbol& s) { return a < s.start; });
        if (pos != syms.begin() && addr < std::prev(pos)->end) {
            return quoted(tidy(demangle(std::prev(pos)->name.c_str())));
        }
        char buf[64];
        std::snprintf(buf, sizeof buf, "+0x%zx", static_cast<std::size_t>(addr));
        return "code at " + obj.path + buf + " (no symbol table: addr2line -Cfe names it)";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "code at %p", code);
    return buf;
}

} // namespace weft::detail
