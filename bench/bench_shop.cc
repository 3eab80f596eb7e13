// The demo shop on its own, for bench/recorder_bench.sh's browsing screen: prints its address, serves until
// standard input closes.
#include <iostream>
#include <string>

#include "netsample/core/time.h"
#include "netsample/demo/shop.h"

int main() {
  netsample::SystemClock clock;
  auto shop = netsample::demo::DemoShop::start(clock);
  if (!shop.ok()) {
    std::cerr << shop.error().describe() << "\n";
    return 1;
  }
  std::cout << (*shop)->url() << std::endl;
  for (const auto& product : netsample::demo::DemoShop::catalogue().at("products")) std::cout << product.at("id").get<std::string>() << std::endl;
  std::cout << "." << std::endl;
  for (std::string line; std::getline(std::cin, line);) {
  }
  return 0;
}
