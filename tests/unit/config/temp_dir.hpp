#pragma once
// A unique temporary directory removed with everything in it when the object goes away.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>

namespace dns01::test {

class TempDir {
 public:
  TempDir() {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("dns01-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()) + "-" +
             std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes a file with the given permission bits and returns its path.
  std::filesystem::path write(const std::string& name, std::string_view content,
                              ::mode_t mode = 0600) const {
    const auto p = path_ / name;
    {
      std::ofstream out(p, std::ios::binary | std::ios::trunc);
      out << content;
    }
    ::chmod(p.c_str(), mode);
    return p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace dns01::test
